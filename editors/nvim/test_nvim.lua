-- Headless end-to-end test of openrouter-lsp in a real Neovim (0.7+), through openrouter.lua.
--   nvim --headless -u NONE -c "luafile editors/nvim/test_nvim.lua"
-- Environment: OPENROUTER_TEST_PYTHON, OPENROUTER_TEST_KEY, OPENROUTER_TEST_BASE_URL (where the
-- server must send requests), OPENROUTER_TEST_EVIL_URL (what the workspace settings try instead),
-- OPENROUTER_TEST_FILE (a Python file to edit). Prints TAP-like lines; exits 0 when all pass.
local here = debug.getinfo(1, "S").source:sub(2):match("(.*/)") or "./"
local openrouter = dofile(here .. "openrouter.lua")
local env = vim.env
local failures, messages, progress = 0, {}, {}

local function out(line)
  io.stdout:write("\n" .. line .. "\n")
  io.stdout:flush()
end

local function check(name, ok, detail)
  if ok then
    out("ok " .. name)
  else
    failures = failures + 1
    out("not ok " .. name .. " -- " .. vim.inspect(detail):gsub("\n", " "):sub(1, 400))
  end
  return ok
end

local function finish()
  out(failures == 0 and "NVIM TEST PASSED" or ("NVIM TEST FAILED: " .. failures))
  local client = openrouter.client()
  if client then
    client.stop()
    vim.wait(2000, function() return client.is_stopped() end, 20)
  end
  vim.cmd(failures == 0 and "qall!" or "cquit 1")
end

local function sync(method, params, timeout)
  local done, err, result = false, nil, nil
  openrouter.request(method, params, function(e, r) done, err, result = true, e, r end)
  vim.wait(timeout or 20000, function() return done end, 10)
  return err, result, done
end

-- Watch what the server shows and reports, then defer to Neovim's own handlers.
local show = vim.lsp.handlers["window/showMessage"]
vim.lsp.handlers["window/showMessage"] = function(err, result, ctx, config)
  table.insert(messages, result.message)
  return show(err, result, ctx, config)
end
local default_progress = vim.lsp.handlers["$/progress"]
vim.lsp.handlers["$/progress"] = function(err, result, ctx, config)
  table.insert(progress, result.value)
  return default_progress(err, result, ctx, config)
end

-- Answer the next vim.ui.select with `pick(items)` (nil: dismiss); what it offered goes to `seen`.
local function answer_select(pick, seen)
  vim.ui.select = function(items, opts, on_choice)
    for _, item in ipairs(items) do
      table.insert(seen, opts.format_item and opts.format_item(item) or item)
    end
    on_choice(pick(items))
  end
end

local function wait_for(fn, timeout)
  local value
  vim.wait(timeout or 20000, function() value = fn() return value end, 20)
  return value
end

local function all(list, field)
  for _, item in ipairs(list) do
    if not item[field] then return false end
  end
  return #list > 0
end

local function conversations_and_attachments(first_answer)
  local id = openrouter.conversation_id
  local offered, shown = {}, nil
  answer_select(function(items)
    for _, c in ipairs(items) do
      if c.id == id then return c end
    end
  end, offered)
  openrouter.conversations(function(buf, conversation) shown = { buf = buf, conversation = conversation } end)
  wait_for(function() return shown end)
  check("past conversations offered", #offered >= 1 and offered[1]:find("Say hello", 1, true), offered)
  local text = shown and table.concat(vim.api.nvim_buf_get_lines(shown.buf, 0, -1, false), "\n") or ""
  check("a past conversation opens as Markdown in a scratch buffer", shown and vim.bo[shown.buf].filetype == "markdown"
    and vim.bo[shown.buf].buftype == "nofile" and text:find("## You\n\nSay hello", 1, true)
    and text:find(first_answer:sub(1, 30), 1, true), text)

  local done, err, result
  openrouter.chat("And again?", { on_done = function(e, r) done, err, result = true, e, r end })
  wait_for(function() return done end)
  check("the chat continues the opened conversation", done and not err and result.conversationId == id, err or result)
  local _, got = sync("openrouter/conversations/get", { conversationId = id })
  check("the server keeps the conversation's history", got and got.conversation.messageCount >= 4, got)

  -- :'<,'>OpenRouterChat sends the selected lines as a range attachment.
  local buf = vim.fn.bufnr(env.OPENROUTER_TEST_FILE)
  vim.api.nvim_set_current_buf(buf)
  local last = vim.api.nvim_buf_line_count(buf)
  local real_chat, sent = openrouter.chat, nil
  done = false
  openrouter.chat = function(question, opts)
    sent = opts.attachments
    opts.on_done = function(e, r) done, err, result = true, e, r end
    return real_chat(question, opts)
  end
  vim.cmd(string.format("%d,%dOpenRouterChat What does this line print?", last, last))
  openrouter.chat = real_chat
  wait_for(function() return done end)
  check("the selection is attached as a range", sent and #sent == 1 and sent[1].kind == "range"
    and sent[1].uri == vim.uri_from_bufnr(buf) and sent[1].range.start.line == last - 1
    and sent[1].range["end"].line == last, sent)
  check("a chat with an attached selection is answered", done and not err and result.content ~= "", err)
end

local function choosing_a_model()
  local filtered = {}
  for name, filters in pairs({
    free = { free = true }, tools = { tools = true }, reasoning = { reasoning = true },
    images = { image_input = true },
  }) do
    local got
    openrouter.models(filters, function(models) got = models end)
    filtered[name] = wait_for(function() return got end)
  end
  check("models filtered: free", all(filtered.free, "isFree"), #(filtered.free or {}))
  check("models filtered: tools", all(filtered.tools, "supportsTools"), #(filtered.tools or {}))
  check("models filtered: reasoning", all(filtered.reasoning, "supportsReasoning"), #(filtered.reasoning or {}))
  check("models filtered: image input", all(filtered.images, "supportsImages"), #(filtered.images or {}))
  local parsed = openrouter.parse_model_filters("+free +images mini model")
  check("the command's +flags become filters", parsed.free and parsed.image_input and parsed.query == "mini model"
    and not parsed.tools, parsed)

  -- Through the command and its menu: a reasoning model whose efforts are listed.
  local reasoner
  for _, model in ipairs(filtered.reasoning or {}) do
    if #model.supportedEfforts >= 2 then reasoner = reasoner or model end
  end
  local offered = {}
  answer_select(function(items)
    for _, item in ipairs(items) do
      if item.id == reasoner.id then return item end
    end
  end, offered)
  vim.cmd("OpenRouterModels +reasoning " .. vim.fn.fnameescape(reasoner.id))
  local view = wait_for(function()
    local _, v = sync("openrouter/settings/get", {})
    return v and v.modelId == reasoner.id and v
  end, 10000)
  check("a model chosen from the filtered menu becomes the default", view, offered)
  check("the menu describes each model", #offered > 0 and offered[1]:find("reasoning", 1, true), offered)

  local efforts = {}
  answer_select(function(items) return items[#items] end, efforts)
  vim.cmd("OpenRouterEffort")
  local lowest = reasoner.supportedEfforts[#reasoner.supportedEfforts]
  view = wait_for(function()
    local _, v = sync("openrouter/settings/get", {})
    return v and v.reasoningEffort == lowest and v
  end, 10000)
  check("effort choices are the model's supportedEfforts", #efforts == #reasoner.supportedEfforts + 1
    and efforts[1]:find("^default") and efforts[#efforts] == lowest, { efforts, reasoner.supportedEfforts })
  check("the chosen effort is saved", view, lowest)

  -- A model that does not reason offers no effort at all.
  local _, plain = sync("openrouter/settings/update", { patch = { modelId = "openai/gpt-4o", reasoningEffort = "default" } })
  local asked = false
  vim.ui.select = function() asked = true end
  local notified = {}
  local notify = vim.notify
  vim.notify = function(message) table.insert(notified, message) end
  vim.cmd("OpenRouterEffort")
  wait_for(function() return #notified > 0 end, 10000)
  vim.notify = notify
  check("a model that does not reason gets no effort menu", plain and not asked and #notified == 1
    and notified[1]:find("does not reason", 1, true), notified)
end

local function signing_in()
  local _, before = sync("openrouter/settings/get", {})
  local result
  openrouter.sign_in(function(r, e) result = r or e end)
  wait_for(function() return result end, 30000)
  check("sign in with OpenRouter through the browser and the loopback callback",
    result and result.outcome == "signed_in" and result.apiKey.isSet, result)
  local _, view = sync("openrouter/settings/get", {})
  check("the signed-in key replaced the pasted one", view and view.apiKey.isSet
    and view.apiKey.hint ~= before.apiKey.hint, { before.apiKey, view and view.apiKey })
end

local first_answer = ""

local function run()
  openrouter.setup({
    cmd = { env.OPENROUTER_TEST_PYTHON, "-m", "openrouter_lsp" },
    -- The workspace tries to send requests elsewhere: the server must ignore it.
    settings = { modelId = "openai/gpt-4o", useCustomBaseUrl = true, customBaseUrl = env.OPENROUTER_TEST_EVIL_URL },
  })
  vim.cmd("edit " .. vim.fn.fnameescape(env.OPENROUTER_TEST_FILE))
  local up = vim.wait(20000, function()
    local c = openrouter.client()
    return c ~= nil and c.initialized and c.server_capabilities ~= nil
  end, 20)
  if not check("server started and initialized", up) then return end
  local caps = openrouter.client().server_capabilities
  check("commands advertised", vim.tbl_contains(caps.executeCommandProvider.commands, "openrouter.ask"), caps)

  local err, status = sync("workspace/executeCommand", { command = "openrouter.setApiKey", arguments = { env.OPENROUTER_TEST_KEY } })
  check("set the key with the openrouter.setApiKey command", not err and status.isSet, err or status)

  local view
  vim.wait(10000, function()
    err, view = sync("openrouter/settings/get", {})
    return view ~= nil and view.modelId == "openai/gpt-4o"
  end, 100)
  check("settings/get reports the configured model", view and view.modelId == "openai/gpt-4o", view)
  check("workspace settings cannot move the base URL", view and view.effectiveBaseUrl == env.OPENROUTER_TEST_BASE_URL, view)
  local warned = vim.tbl_filter(function(m) return m:find("customBaseUrl", 1, true) end, messages)
  check("the user was told the base URL setting was ignored", #warned == 1, messages)

  local models
  err, models = sync("openrouter/models/list", { query = "gpt-4o" })
  check("list models", not err and #models.models > 0 and models.models[1].id:find("gpt-4o", 1, true), err)

  local deltas, done, result = {}, false, nil
  openrouter.chat("Say hello", {
    new = true,
    on_delta = function(text) table.insert(deltas, text) end,
    on_done = function(e, r) done, err, result = true, e, r end,
  })
  vim.wait(20000, function() return done end, 10)
  check("chat answered", done and not err and result.content ~= "", err)
  first_answer = result.content
  check("chat streamed $/progress increments", #deltas >= 2 and table.concat(deltas) == result.content, #deltas)
  local chat_text = table.concat(vim.api.nvim_buf_get_lines(vim.fn.bufnr("openrouter://chat"), 0, -1, false), "\n")
  check("the chat buffer shows the answer", chat_text:find(result.content:sub(1, 30), 1, true) ~= nil, chat_text)

  local cancelled, cancel_err = false, nil
  openrouter.chat("Write a very long story", {
    max_tokens = 4000,
    on_delta = function() if not cancelled then cancelled = true openrouter.cancel() end end,
    on_done = function(e) cancel_err = e or "finished" end,
  })
  vim.wait(20000, function() return cancel_err ~= nil end, 10)
  check("cancel a streaming chat ($/cancelRequest)", cancelled and type(cancel_err) == "table" and cancel_err.code == -32800, cancel_err)

  -- Code action through Neovim's own UI path, the menu answered by a stub.
  local buf = vim.api.nvim_get_current_buf()
  local before = table.concat(vim.api.nvim_buf_get_lines(buf, 0, -1, false), "\n")
  local offered = {}
  vim.ui.select = function(items, _, on_choice)
    for _, item in ipairs(items) do
      local action = item[2] or item.action
      table.insert(offered, action.title)
      if action.title == "OpenRouter: Add comments to selection" then
        return on_choice(item)
      end
    end
    on_choice(nil)
  end
  if vim.lsp.buf.range_code_action then -- 0.7 (removed in 0.10)
    vim.lsp.buf.range_code_action({ diagnostics = {} }, { 1, 0 }, { 3, 0 })
  else
    vim.lsp.buf.code_action({ context = { diagnostics = {} }, range = { start = { 1, 0 }, ["end"] = { 3, 0 } } })
  end
  local changed = vim.wait(20000, function()
    return table.concat(vim.api.nvim_buf_get_lines(buf, 0, -1, false), "\n") ~= before
  end, 20)
  check("code actions offered", vim.tbl_contains(offered, "OpenRouter: Explain selection"), offered)
  local after = vim.api.nvim_buf_get_lines(buf, 0, -1, false)
  check("code action replaced the selection via workspace/applyEdit", changed and after[#after] == "print(add(1, 2))", after)

  local answer
  err, answer = sync("workspace/executeCommand", { command = "openrouter.ask", arguments = { "What is Lua?" } })
  check("ask command answers", not err and answer.content ~= "" and answer.uri:find("^file://"), err)
  if vim.fn.has("nvim-0.8") == 1 then
    local opened = wait_for(function() return vim.fn.bufnr(vim.uri_to_fname(answer.uri)) ~= -1 end, 5000)
    check("the answer was opened (window/showDocument)", opened, answer.uri)
  else
    local shown = vim.tbl_filter(function(m) return m:find(answer.content:sub(1, 30), 1, true) end, messages)
    check("the answer was shown (window/showMessage: 0.7 has no showDocument)", #shown >= 1, messages)
  end
  local kinds = {}
  for _, value in ipairs(progress) do
    if type(value) == "table" and value.kind then kinds[value.kind] = (kinds[value.kind] or 0) + 1 end
  end
  check("work-done progress begin/report/end", kinds.begin and kinds["report"] and kinds["end"], kinds)

  conversations_and_attachments(first_answer)
  choosing_a_model()
  signing_in()
end

local ok, problem = pcall(run)
if not ok then
  check("script ran without a Lua error", false, problem)
end
finish()
