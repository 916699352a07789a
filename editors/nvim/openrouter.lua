-- openrouter.lua: drive openrouter-lsp from Neovim (0.7 and later).
--
--   local openrouter = require("openrouter")   -- or dofile("/path/to/openrouter.lua")
--   openrouter.setup({ settings = { modelId = "openai/gpt-4o" } })
--
-- Commands: :[range]OpenRouterChat [question] (the range's lines attached)  :OpenRouterNewChat [question]
--           :OpenRouterConversations (open a past one)  :OpenRouterCancel  :OpenRouterKey  :OpenRouterSignIn
--           :OpenRouterModels [+free] [+tools] [+reasoning] [+images] [query]
--           :OpenRouterEffort [effort]  :OpenRouterSettings  :OpenRouterAsk {question}
-- Code actions (explain / add comments / rewrite) come from the server: select lines, then
-- vim.lsp.buf.range_code_action() on 0.7, vim.lsp.buf.code_action() on 0.8+.
local M = {}

M.config = {
  name = "openrouter",
  cmd = { "openrouter-lsp" },
  settings = {}, -- a partial settings document (camelCase), sent as section `openrouter`
  -- function(url) -> boolean, how the sign-in page is opened; nil: the system opener
  -- (vim.ui.open on 0.10+, else xdg-open / open)
  open_url = nil,
}

local streams = {} -- partialResultToken -> function(value)
local sign_ins = {} -- state of a running sign-in -> function(result) or true
local counter = 0
M.conversation_id = nil -- the conversation the chat continues; the server keeps its history
M.active = nil -- { client = ..., id = ... } of the running chat request

local function notify(message, level)
  vim.notify("OpenRouter: " .. message, level or vim.log.levels.INFO)
end

-- $/progress: our chat tokens go to their stream; everything else to Neovim's handler.
local function on_progress(err, result, ctx, config)
  local stream = result and streams[result.token]
  if stream then
    stream(result.value)
    return
  end
  return vim.lsp.handlers["$/progress"](err, result, ctx, config)
end

-- openrouter/signIn/didFinish: every sign-in ends exactly once, with a sentence for the user.
local function on_sign_in_finished(_, result)
  if not result then
    return
  end
  local waiting = sign_ins[result.state]
  sign_ins[result.state] = nil
  notify(result.message, result.outcome == "signed_in" and vim.log.levels.INFO or vim.log.levels.WARN)
  if type(waiting) == "function" then
    waiting(result)
  end
end

local function client_config()
  return {
    name = M.config.name,
    cmd = M.config.cmd,
    root_dir = M.config.root_dir or vim.fn.getcwd(),
    settings = { openrouter = M.config.settings },
    init_options = { openrouter = M.config.settings },
    handlers = { ["$/progress"] = on_progress, ["openrouter/signIn/didFinish"] = on_sign_in_finished },
  }
end

--- The running openrouter client, if any.
function M.client()
  local clients = vim.lsp.get_clients and vim.lsp.get_clients() or vim.lsp.get_active_clients()
  for _, client in ipairs(clients) do
    if client.name == M.config.name then
      return client
    end
  end
  return nil
end

--- Send a custom request; `callback(err, result)` runs on the answer. Returns the request id.
function M.request(method, params, callback)
  local client = M.client()
  if not client then
    notify("the server is not running (call setup() and open a buffer)", vim.log.levels.ERROR)
    return nil
  end
  local ok, id = client.request(method, params, function(err, result)
    if callback then
      callback(err, result)
    elseif err then
      notify(err.message, vim.log.levels.ERROR)
    end
  end, 0)
  return ok and id or nil
end

--- Run one of the server's commands (openrouter.ask, openrouter.chooseModel, ...).
function M.command(name, arguments, callback)
  return M.request("workspace/executeCommand", { command = name, arguments = arguments or {} }, callback)
end

--- Set the API key (prompted without echo when not given). It is stored by the server.
function M.set_key(key, callback)
  key = key or vim.fn.inputsecret("OpenRouter API key: ")
  if key == nil or key == "" then
    return
  end
  M.request("openrouter/apiKey/set", { apiKey = key }, function(err, status)
    if err then
      notify(err.message, vim.log.levels.ERROR)
    else
      notify("API key saved (" .. tostring(status.hint) .. ")")
    end
    if callback then
      callback(err, status)
    end
  end)
end

-- :OpenRouterModels flags -> models/list filters
local MODEL_FILTERS = { free = "free", tools = "tools", reasoning = "reasoning", images = "imageInput" }

local function describe_model(model)
  local price = model.isFree and "  free"
    or (model.pricing.prompt and string.format("  $%.2f/M in", model.pricing.prompt) or "")
  local traits = {}
  if model.supportsTools then table.insert(traits, "tools") end
  if model.supportsReasoning then table.insert(traits, "reasoning") end
  if model.supportsImages then table.insert(traits, "images") end
  local context = model.contextLength and string.format("  %dK", math.floor(model.contextLength / 1000)) or ""
  return model.id .. price .. context .. (#traits > 0 and ("  [" .. table.concat(traits, ", ") .. "]") or "")
end

--- Pick a model from the catalogue and make it the default. `filters` is a query string or a
--- table { query=, free=, tools=, reasoning=, image_input=, sort= }; `callback(models)`, when
--- given, receives the list instead of the menu.
function M.models(filters, callback)
  if type(filters) ~= "table" then
    filters = { query = filters }
  end
  local params = {
    query = filters.query,
    free = filters.free or nil,
    tools = filters.tools or nil,
    reasoning = filters.reasoning or nil,
    imageInput = filters.image_input or nil,
    sort = filters.sort,
  }
  M.request("openrouter/models/list", params, function(err, result)
    if err then
      return notify(err.message, vim.log.levels.ERROR)
    end
    if callback then
      return callback(result.models)
    end
    if #result.models == 0 then
      return notify("no model matches these filters", vim.log.levels.WARN)
    end
    vim.ui.select(result.models, { prompt = "OpenRouter model", format_item = describe_model }, function(model)
      if model then
        M.settings({ modelId = model.id })
      end
    end)
  end)
end

--- `:OpenRouterModels +free +tools mini` -> { free = true, tools = true, query = "mini" }
function M.parse_model_filters(args)
  local filters, words = {}, {}
  for _, word in ipairs(vim.split(args or "", "%s+", { trimempty = true })) do
    local flag = word:match("^%+(%w+)$")
    if flag and MODEL_FILTERS[flag] then
      filters[flag == "images" and "image_input" or flag] = true
    else
      table.insert(words, word)
    end
  end
  filters.query = #words > 0 and table.concat(words, " ") or nil
  return filters
end

--- The current model's catalogue entry: `callback(model or nil, model_id)`.
function M.current_model(callback)
  M.settings(nil, function(view)
    M.request("openrouter/models/list", { query = view.modelId }, function(err, result)
      if err then
        return notify(err.message, vim.log.levels.ERROR)
      end
      for _, model in ipairs(result.models) do
        if model.id == view.modelId then
          return callback(model, view.modelId)
        end
      end
      callback(nil, view.modelId)
    end)
  end)
end

--- Choose the reasoning effort among those the current model supports ("default" always).
--- With `effort` given, set it without a menu. `callback(view)` after the update.
function M.effort(effort, callback)
  M.current_model(function(model, model_id)
    if not model then
      return notify(model_id .. " is not in the catalogue: its efforts are unknown", vim.log.levels.WARN)
    end
    if not model.supportsReasoning or #model.supportedEfforts == 0 then
      return notify(model.id .. " does not reason: it takes no reasoning effort", vim.log.levels.WARN)
    end
    local function apply(choice)
      if choice then
        M.settings({ reasoningEffort = choice }, callback)
      end
    end
    if effort then
      return apply(effort)
    end
    local choices = { "default" }
    vim.list_extend(choices, model.supportedEfforts)
    vim.ui.select(choices, {
      prompt = "Reasoning effort for " .. model.id,
      format_item = function(choice)
        return choice == "default" and ("default (" .. (model.defaultEffort or "the provider's") .. ")") or choice
      end,
    }, apply)
  end)
end

local function open_url(url)
  if M.config.open_url then
    return M.config.open_url(url)
  end
  if vim.ui.open then
    local _, err = vim.ui.open(url)
    return err == nil
  end
  local opener = vim.fn.has("mac") == 1 and "open" or "xdg-open"
  if vim.fn.executable(opener) == 1 then
    return vim.fn.jobstart({ opener, url }, { detach = true }) > 0
  end
  return false
end

--- Sign in with OpenRouter: the server listens on a loopback callback, the browser opens the
--- authorisation page, and the key lands in the server's key store. `callback(result)` gets the
--- openrouter/signIn/didFinish params (outcome, message, apiKey); `callback(nil, err)` when the
--- sign-in could not start.
function M.sign_in(callback)
  M.request("openrouter/signIn/start", {}, function(err, started)
    if err then
      notify(err.message, vim.log.levels.ERROR)
      return callback and callback(nil, err)
    end
    sign_ins[started.state] = callback or true
    if open_url(started.authUrl) then
      notify("finish signing in in the browser")
    else
      notify("to sign in, open this address in a browser: " .. started.authUrl)
    end
  end)
end

--- Show the effective settings, or update them with a partial document (persisted).
function M.settings(patch, callback)
  local method = patch and "openrouter/settings/update" or "openrouter/settings/get"
  M.request(method, patch and { patch = patch } or {}, function(err, view)
    if err then
      return notify(err.message, vim.log.levels.ERROR)
    end
    if callback then
      return callback(view)
    end
    local key = view.apiKey.isSet and (view.apiKey.hint .. " from " .. view.apiKey.source) or "not set"
    notify(string.format("model %s, base URL %s, key %s, routing %s, middle-out %s",
      view.modelId, view.effectiveBaseUrl, key, view.routing.provider or view.routing.sort,
      tostring(view.middleOutTransform)))
  end)
end

local function chat_buffer()
  local name = "openrouter://chat"
  local buf = vim.fn.bufnr(name)
  if buf == -1 then
    buf = vim.api.nvim_create_buf(true, true)
    vim.api.nvim_buf_set_name(buf, name)
    vim.api.nvim_buf_set_option(buf, "filetype", "markdown")
  end
  if vim.fn.bufwinid(buf) == -1 and #vim.api.nvim_list_uis() > 0 then
    vim.cmd("botright split")
    vim.api.nvim_win_set_buf(0, buf)
  end
  return buf
end

local function append(buf, text)
  local last = vim.api.nvim_buf_line_count(buf)
  local tail = vim.api.nvim_buf_get_lines(buf, last - 1, last, false)[1] or ""
  local lines = vim.split(tail .. text, "\n", { plain = true })
  vim.api.nvim_buf_set_lines(buf, last - 1, last, false, lines)
end

local function new_conversation_id()
  local random = math.random
  return string.format("nvim-%08x-%04x-%04x-%08x", os.time(), vim.fn.getpid() % 0x10000,
    random(0, 0xffff), random(0, 0x7fffffff))
end

--- The attachment of lines `first`..`last` (1-based, inclusive) of buffer `buf`: the server reads
--- them from the document the editor synced and adds them to the message as a fenced block.
function M.range_attachment(buf, first, last)
  buf = (buf == nil or buf == 0) and vim.api.nvim_get_current_buf() or buf
  return {
    kind = "range",
    uri = vim.uri_from_bufnr(buf),
    range = { start = { line = first - 1, character = 0 }, ["end"] = { line = last, character = 0 } },
  }
end

--- Ask a question in the running conversation (the server keeps its history); the answer streams
--- into the chat buffer. opts: on_delta(text), on_done(err, result), max_tokens, model_id,
--- new (start another conversation), attachments (e.g. { M.range_attachment(0, 3, 9) }).
function M.chat(question, opts)
  opts = opts or {}
  question = question or vim.fn.input("Ask OpenRouter: ")
  if question == nil or question == "" then
    return nil
  end
  if opts.new or not M.conversation_id then
    M.conversation_id = new_conversation_id()
  end
  counter = counter + 1
  local token = string.format("openrouter-chat-%d-%d", vim.fn.getpid(), counter)
  local buf = chat_buffer()
  local attached = ""
  for _, attachment in ipairs(opts.attachments or {}) do
    attached = attached .. string.format("\n\n_attached: %s, lines %d-%d_", vim.uri_to_fname(attachment.uri),
      attachment.range.start.line + 1, attachment.range["end"].line)
  end
  append(buf, (vim.api.nvim_buf_line_count(buf) > 1 and "\n\n" or "") .. "## You\n\n" .. question
    .. attached .. "\n\n## Assistant\n\n")
  streams[token] = function(value)
    if value.content then
      append(buf, value.content)
      if opts.on_delta then
        opts.on_delta(value.content)
      end
    end
  end
  local message = { role = "user", content = question }
  if opts.attachments and #opts.attachments > 0 then
    message.attachments = opts.attachments
  end
  local params = {
    messages = { message },
    conversationId = M.conversation_id,
    partialResultToken = token,
    maxTokens = opts.max_tokens,
    modelId = opts.model_id,
  }
  local id
  local finished = false
  local function finish(err, result)
    if finished then
      return
    end
    finished = true
    streams[token] = nil
    if M.active and M.active.id == id then
      M.active = nil
    end
    if err then
      append(buf, "\n\n_" .. (err.code == -32800 and "cancelled" or err.message) .. "_")
    end
    if opts.on_done then
      opts.on_done(err, result)
    end
  end
  id = M.request("openrouter/chat", params, finish)
  M.active = id and { client = M.client(), id = id, finish = finish } or nil
  return id
end

local function message_text(content)
  if type(content) == "string" then
    return content
  end
  local parts = {}
  for _, part in ipairs(type(content) == "table" and content or {}) do
    if part.type == "text" then
      table.insert(parts, part.text)
    elseif part.type == "image_url" or part.type == "image_file" then
      table.insert(parts, "_(image)_")
    end
  end
  return table.concat(parts, "\n\n")
end

local ROLE_TITLES = { user = "You", assistant = "Assistant", system = "System", tool = "Tool" }

--- A conversation (`openrouter/conversations/get`'s) as Markdown lines.
function M.conversation_markdown(conversation)
  local totals = conversation.totals
  local lines = {
    "# " .. (conversation.title ~= "" and conversation.title or "Untitled conversation"),
    "",
    string.format("_%d messages, %s, %d + %d tokens, $%.6f_", conversation.messageCount,
      conversation.updatedAt, totals.promptTokens, totals.completionTokens, totals.costUsd),
  }
  for _, message in ipairs(conversation.messages) do
    local title = ROLE_TITLES[message.role] or message.role
    if message.role == "assistant" and message.model and message.model ~= vim.NIL then
      title = title .. " (" .. message.model .. ")"
    end
    vim.list_extend(lines, { "", "## " .. title, "" })
    vim.list_extend(lines, vim.split(message_text(message.content), "\n", { plain = true }))
  end
  return lines
end

--- Show conversation `id` as Markdown in a scratch buffer, and continue it in the chat.
--- `callback(buf, conversation)` after it is shown.
function M.open_conversation(id, callback)
  M.request("openrouter/conversations/get", { conversationId = id }, function(err, result)
    if err then
      return notify(err.message, vim.log.levels.ERROR)
    end
    local conversation = result.conversation
    local buf = vim.api.nvim_create_buf(true, true)
    vim.api.nvim_buf_set_name(buf, "openrouter://conversation/" .. conversation.id)
    vim.api.nvim_buf_set_lines(buf, 0, -1, false, M.conversation_markdown(conversation))
    vim.api.nvim_buf_set_option(buf, "filetype", "markdown")
    vim.api.nvim_buf_set_option(buf, "modifiable", false)
    if #vim.api.nvim_list_uis() > 0 then
      vim.api.nvim_win_set_buf(0, buf)
    end
    M.conversation_id = conversation.id
    if callback then
      callback(buf, conversation)
    end
  end)
end

--- Choose a past conversation (newest first) and open it.
function M.conversations(callback)
  M.request("openrouter/conversations/list", {}, function(err, result)
    if err then
      return notify(err.message, vim.log.levels.ERROR)
    end
    if #result.conversations == 0 then
      return notify("no saved conversation yet")
    end
    vim.ui.select(result.conversations, {
      prompt = "OpenRouter conversation",
      format_item = function(c)
        return string.format("%s  (%s, %d messages, $%.4f)", c.title ~= "" and c.title or c.id,
          c.updatedAt:sub(1, 16), c.messageCount, c.totals.costUsd)
      end,
    }, function(choice)
      if choice then
        M.open_conversation(choice.id, callback)
      end
    end)
  end)
end

--- Cancel the running chat ($/cancelRequest: the server closes the upstream stream at once).
function M.cancel()
  local active = M.active
  if active then
    active.client.cancel_request(active.id)
    -- Neovim does not pass the RequestCancelled answer on to the callback: finish here.
    active.finish({ code = -32800, message = "cancelled" })
  end
end

local function create_commands()
  local command = vim.api.nvim_create_user_command
  command("OpenRouterChat", function(a)
    -- With a range (:'<,'>OpenRouterChat), the selected lines go with the question.
    local attachments = a.range > 0 and { M.range_attachment(0, a.line1, a.line2) } or nil
    M.chat(a.args ~= "" and a.args or nil, { attachments = attachments })
  end, { nargs = "?", range = true })
  command("OpenRouterNewChat", function(a) M.chat(a.args ~= "" and a.args or nil, { new = true }) end, { nargs = "?" })
  command("OpenRouterConversations", function() M.conversations() end, {})
  command("OpenRouterCancel", function() M.cancel() end, {})
  command("OpenRouterKey", function() M.set_key() end, {})
  command("OpenRouterModels", function(a) M.models(M.parse_model_filters(a.args)) end, {
    nargs = "*",
    complete = function() return { "+free", "+tools", "+reasoning", "+images" } end,
  })
  command("OpenRouterEffort", function(a) M.effort(a.args ~= "" and a.args or nil) end, { nargs = "?" })
  command("OpenRouterSignIn", function() M.sign_in() end, {})
  command("OpenRouterSettings", function() M.settings() end, {})
  command("OpenRouterAsk", function(a) M.command("openrouter.ask", { a.args }) end, { nargs = "+" })
end

--- Start the server for every normal buffer (vim.lsp.start on 0.8+, start_client on 0.7).
function M.setup(opts)
  M.config = vim.tbl_deep_extend("force", M.config, opts or {})
  local group = vim.api.nvim_create_augroup("openrouter_lsp", { clear = true })
  local client_id
  local function attach(args)
    if vim.bo[args.buf].buftype ~= "" then
      return
    end
    if vim.lsp.start then
      vim.lsp.start(client_config(), { bufnr = args.buf })
    else
      client_id = client_id or vim.lsp.start_client(client_config())
      vim.lsp.buf_attach_client(args.buf, client_id)
    end
  end
  vim.api.nvim_create_autocmd("BufEnter", { group = group, callback = attach })
  create_commands()
  if vim.api.nvim_buf_get_name(0) ~= "" then
    attach({ buf = vim.api.nvim_get_current_buf() })
  end
end

return M
