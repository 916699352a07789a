;;; openrouter.el --- Drive openrouter-lsp through eglot  -*- lexical-binding: t; -*-

;; Works with the eglot shipped in Emacs 29+ and with eglot 1.9+ from ELPA on Emacs 27/28.
;;
;;   (require 'openrouter)                        ; or (load "/path/to/openrouter.el")
;;   (openrouter-eglot-setup '(python-mode text-mode) '(:modelId "openai/gpt-4o"))
;;   M-x eglot                                    ; in a buffer of one of those modes
;;
;; Commands: `openrouter-chat' (streams into *openrouter-chat*), `openrouter-cancel',
;; `openrouter-set-key', `openrouter-sign-in', `openrouter-models' (with C-u: filters free / tools /
;; reasoning / images), `openrouter-reasoning-effort', `openrouter-settings', `openrouter-ask'.
;; `openrouter-chat-about-region' (the region attached), `openrouter-open-conversation' (a past
;; conversation as Markdown; the chat continues it).
;; Code actions on the region: M-x eglot-code-actions ("OpenRouter: Explain selection", ...).

;;; Code:

(require 'cl-lib)
(require 'eglot)
(require 'jsonrpc)
(require 'seq)
(require 'subr-x)

(defgroup openrouter nil "OpenRouter through openrouter-lsp." :group 'tools)

(defcustom openrouter-server-command '("openrouter-lsp")
  "The command that starts the language server."
  :type '(repeat string))

(defcustom openrouter-browse-url-function #'browse-url
  "How the sign-in page is opened: a function of the URL (the system opener by default)."
  :type 'function)

(defvar openrouter--sign-ins (make-hash-table :test #'equal)
  "State of a running sign-in -> function called with its `openrouter/signIn/didFinish' params.")
(defvar openrouter--streams (make-hash-table :test #'equal)
  "Chat partialResultToken -> function called with each `$/progress' value.")
(defvar openrouter--counter 0)
(defvar openrouter-conversation-id nil
  "The conversation the chat continues; the server keeps its history.")
(defvar openrouter--active nil "(SERVER ID FINISH) of the running chat.")

(defun openrouter-eglot-setup (modes &optional settings)
  "Use openrouter-lsp as the eglot server of MODES, with SETTINGS (a plist) as init options.
Eglot runs one server per major mode: pick modes no other server needs."
  (add-to-list 'eglot-server-programs
               `(,modes . (,@openrouter-server-command
                           ,@(when settings `(:initializationOptions (:openrouter ,settings)))))))

(defvar openrouter--last-server nil
  "The server last used, so the helpers also work from the chat and conversation buffers.")

(defun openrouter--server ()
  (let ((server (eglot-current-server)))
    (if server
        (setq openrouter--last-server server)
      (or (and openrouter--last-server (jsonrpc-running-p openrouter--last-server)
               openrouter--last-server)
          (user-error "OpenRouter: no eglot server in this buffer (M-x eglot)")))))

(defun openrouter-request (method params)
  "Send METHOD (a keyword such as :openrouter/settings/get) with PARAMS; wait for the result."
  (jsonrpc-request (openrouter--server) method (or params eglot--{})))

(defun openrouter-command (command &rest arguments)
  "Run the server's COMMAND (a string such as \"openrouter.ask\") with ARGUMENTS."
  (jsonrpc-request (openrouter--server) :workspace/executeCommand
                   `(:command ,command :arguments ,(vconcat arguments))
                   :timeout 300))

(defun openrouter-set-key (key)
  "Store the OpenRouter API KEY in the server (read without echo)."
  (interactive (list (read-passwd "OpenRouter API key: ")))
  (let ((status (openrouter-request :openrouter/apiKey/set `(:apiKey ,key))))
    (message "OpenRouter: API key saved (%s)" (plist-get status :hint))
    status))

(defconst openrouter-model-filters
  '(("free" . :free) ("tools" . :tools) ("reasoning" . :reasoning) ("images" . :imageInput))
  "Filter names offered by `openrouter-models' -> their `openrouter/models/list' parameter.")

(defun openrouter--describe-model (model)
  (let ((pricing (plist-get model :pricing)))
    (concat (plist-get model :id)
            (cond ((eq (plist-get model :isFree) t) "  free")
                  ((numberp (plist-get pricing :prompt))
                   (format "  $%.2f/M in" (plist-get pricing :prompt)))
                  (t ""))
            (let ((traits (delq nil (list (and (eq (plist-get model :supportsTools) t) "tools")
                                          (and (eq (plist-get model :supportsReasoning) t) "reasoning")
                                          (and (eq (plist-get model :supportsImages) t) "images")))))
              (if traits (format "  [%s]" (string-join traits ", ")) "")))))

(defun openrouter-models (&optional query filters)
  "Choose the default model among those matching QUERY and FILTERS; return the model plists.
FILTERS is a list of names from `openrouter-model-filters' (\"free\", \"tools\", ...);
interactively, a prefix argument asks for them."
  (interactive
   (list (read-string "Filter models by name (empty for all): ")
         (when current-prefix-arg
           (completing-read-multiple "Only models that are (comma-separated): "
                                     (mapcar #'car openrouter-model-filters) nil t))))
  (let* ((params (append (when (and query (not (string-empty-p query))) `(:query ,query))
                         (mapcan (lambda (name)
                                   (let ((key (cdr (assoc name openrouter-model-filters))))
                                     (unless key (user-error "OpenRouter: unknown filter %s" name))
                                     (list key t)))
                                 filters)))
         (result (openrouter-request :openrouter/models/list (or params eglot--{})))
         (models (append (plist-get result :models) nil)))
    (when (called-interactively-p 'any)
      (unless models (user-error "OpenRouter: no model matches these filters"))
      (let* ((labels (mapcar (lambda (m) (cons (openrouter--describe-model m) m)) models))
             (label (completing-read "OpenRouter model: " labels nil t)))
        (openrouter-settings `(:modelId ,(plist-get (cdr (assoc label labels)) :id)))))
    models))

(defun openrouter-current-model ()
  "The catalogue entry (a plist) of the current model, or nil when the catalogue lacks it."
  (let* ((id (plist-get (openrouter-request :openrouter/settings/get nil) :modelId))
         (models (plist-get (openrouter-request :openrouter/models/list `(:query ,id)) :models)))
    (or (seq-find (lambda (m) (equal (plist-get m :id) id)) models)
        (user-error "OpenRouter: %s is not in the catalogue: its efforts are unknown" id))))

(defun openrouter-reasoning-effort (effort)
  "Set the reasoning EFFORT; the choices are the current model's supported efforts."
  (interactive
   (let* ((model (openrouter-current-model))
          (efforts (append (plist-get model :supportedEfforts) nil)))
     (unless (and (eq (plist-get model :supportsReasoning) t) efforts)
       (user-error "OpenRouter: %s does not reason: it takes no reasoning effort"
                   (plist-get model :id)))
     (list (completing-read (format "Reasoning effort for %s: " (plist-get model :id))
                            (cons "default" efforts) nil t nil nil "default"))))
  (openrouter-settings `(:reasoningEffort ,effort)))

(defun openrouter-sign-in (&optional callback)
  "Sign in with OpenRouter: open the authorisation page; the server stores the new key.
CALLBACK, when given, is called with the `openrouter/signIn/didFinish' params."
  (interactive)
  (let ((started (openrouter-request :openrouter/signIn/start nil)))
    (puthash (plist-get started :state) (or callback #'ignore) openrouter--sign-ins)
    (condition-case nil
        (progn (funcall openrouter-browse-url-function (plist-get started :authUrl))
               (message "OpenRouter: finish signing in in the browser"))
      (error (message "OpenRouter: to sign in, open this address in a browser: %s"
                      (plist-get started :authUrl))))
    started))

(cl-defmethod eglot-handle-notification
  (_server (_method (eql openrouter/signIn/didFinish)) &rest result &key state message
           &allow-other-keys)
  "Tell how a sign-in ended (every sign-in ends exactly once)."
  (let ((callback (gethash state openrouter--sign-ins)))
    (remhash state openrouter--sign-ins)
    (message "OpenRouter: %s" message)
    (when callback (funcall callback result))))

(defun openrouter-settings (&optional patch)
  "Show the effective settings, or apply PATCH (a plist, persisted) and show the result."
  (interactive)
  (let* ((view (if patch
                   (openrouter-request :openrouter/settings/update `(:patch ,patch))
                 (openrouter-request :openrouter/settings/get nil)))
         (key (plist-get view :apiKey)))
    (message "OpenRouter: model %s, base URL %s, key %s"
             (plist-get view :modelId) (plist-get view :effectiveBaseUrl)
             (if (eq (plist-get key :isSet) t) (plist-get key :hint) "not set"))
    view))

(defun openrouter-ask (question)
  "Ask QUESTION with the openrouter.ask command; the server shows the answer."
  (interactive "sAsk OpenRouter: ")
  (openrouter-command "openrouter.ask" question))

(cl-defmethod eglot-handle-notification :before
  (_server (_method (eql $/progress)) &key token value &allow-other-keys)
  "Route chat increments to their stream."
  (let ((stream (gethash token openrouter--streams)))
    (when stream (funcall stream value))))

(defun openrouter--append (text)
  (with-current-buffer (get-buffer-create "*openrouter-chat*")
    (save-excursion (goto-char (point-max)) (insert text))))

(defun openrouter--new-conversation-id ()
  (format "emacs-%x-%x-%x" (truncate (float-time)) (emacs-pid) (random most-positive-fixnum)))

(defun openrouter-region-attachment (beg end)
  "The attachment of the text between BEG and END of the current buffer, a file eglot syncs:
the server reads it from the synced document and adds it to the message as a fenced block."
  (unless buffer-file-name (user-error "OpenRouter: only a file's text can be attached"))
  ;; eglot sends edits on an idle timer or before its own requests: send them now, so the server
  ;; reads the text the user sees.
  (eglot--signal-textDocument/didChange)
  `(:kind "range" :uri ,(if (fboundp 'eglot-path-to-uri) ; eglot 1.16+
                             (eglot-path-to-uri buffer-file-name)
                           (eglot--path-to-uri buffer-file-name))
          :range (:start ,(eglot--pos-to-lsp-position beg) :end ,(eglot--pos-to-lsp-position end))))

(cl-defun openrouter-chat (question &key on-delta on-done max-tokens new attachments)
  "Ask QUESTION in the running conversation (the server keeps its history); the answer
streams into *openrouter-chat*. NEW starts another conversation; ATTACHMENTS go with the
question (see `openrouter-region-attachment'). ON-DELTA is called with each increment,
ON-DONE with (ERROR RESULT). Returns the request id."
  (interactive "sAsk OpenRouter: ")
  (when (or new (null openrouter-conversation-id))
    (setq openrouter-conversation-id (openrouter--new-conversation-id)))
  (let* ((server (openrouter--server))
         (token (format "openrouter-chat-%d-%d" (emacs-pid) (cl-incf openrouter--counter)))
         (message `(:role "user" :content ,question
                          ,@(when attachments `(:attachments ,(vconcat attachments)))))
         (params `(:messages ,(vector message) :conversationId ,openrouter-conversation-id
                             :partialResultToken ,token
                             ,@(when max-tokens `(:maxTokens ,max-tokens))))
         (finished nil) id)
    (openrouter--append (format "\n## You\n\n%s%s\n\n## Assistant\n\n" question
                                (if attachments
                                    (format "\n\n_%d attachment(s)_" (length attachments))
                                  "")))
    (when (called-interactively-p 'interactive)
      (display-buffer "*openrouter-chat*"))
    (puthash token (lambda (value)
                     (let ((text (plist-get value :content)))
                       (when text
                         (openrouter--append text)
                         (when on-delta (funcall on-delta text)))))
             openrouter--streams)
    (cl-flet ((finish (err result)
                (unless finished
                  (setq finished t)
                  (remhash token openrouter--streams)
                  (when (equal (cadr openrouter--active) id) (setq openrouter--active nil))
                  (when err
                    (openrouter--append (format "\n\n_%s_\n" (plist-get err :message))))
                  (when on-done (funcall on-done err result)))))
      ;; `jsonrpc-async-request' does not return the id that $/cancelRequest needs.
      (setq id (car (jsonrpc--async-request-1
                     server :openrouter/chat params
                     :success-fn (lambda (result) (finish nil result))
                     :error-fn (lambda (err) (finish err nil))
                     :timeout-fn (lambda () (finish '(:code -32001 :message "timed out") nil))
                     :timeout 600)))
      (setq openrouter--active (list server id #'finish))
      id)))

(defun openrouter-chat-about-region (beg end question)
  "Ask QUESTION with the region between BEG and END attached."
  (interactive "r\nsAsk OpenRouter about the region: ")
  (openrouter-chat question :attachments (list (openrouter-region-attachment beg end)))
  (display-buffer "*openrouter-chat*"))

(defun openrouter--content-text (content)
  (if (stringp content)
      content
    (mapconcat (lambda (part)
                 (pcase (plist-get part :type)
                   ("text" (plist-get part :text))
                   (_ "_(image)_")))
               (and (vectorp content) content) "\n\n")))

(defun openrouter-conversation-markdown (conversation)
  "CONVERSATION (as `openrouter/conversations/get' returns it) as Markdown text."
  (let ((totals (plist-get conversation :totals))
        (title (plist-get conversation :title)))
    (concat
     (format "# %s\n\n_%d messages, %s, %d + %d tokens, $%.6f_\n"
             (if (and (stringp title) (not (string-empty-p title))) title "Untitled conversation")
             (plist-get conversation :messageCount) (plist-get conversation :updatedAt)
             (plist-get totals :promptTokens) (plist-get totals :completionTokens)
             (plist-get totals :costUsd))
     (mapconcat
      (lambda (message)
        (let ((role (plist-get message :role)) (model (plist-get message :model)))
          (format "\n## %s%s\n\n%s\n"
                  (pcase role ("user" "You") ("assistant" "Assistant") ("system" "System")
                         ("tool" "Tool") (_ role))
                  (if (and (equal role "assistant") (stringp model)) (format " (%s)" model) "")
                  (openrouter--content-text (plist-get message :content)))))
      (plist-get conversation :messages) ""))))

(defun openrouter-open-conversation (id)
  "Show conversation ID as Markdown in a scratch buffer and continue it in the chat.
Return the buffer."
  (interactive
   (let* ((listed (append (plist-get (openrouter-request :openrouter/conversations/list nil)
                                     :conversations)
                          nil))
          (choices (mapcar (lambda (c)
                             (cons (format "%s  (%s, %d messages)"
                                           (let ((title (plist-get c :title)))
                                             (if (string-empty-p title) (plist-get c :id) title))
                                           (plist-get c :updatedAt) (plist-get c :messageCount))
                                   (plist-get c :id)))
                           listed)))
     (unless choices (user-error "OpenRouter: no saved conversation yet"))
     (list (cdr (assoc (completing-read "OpenRouter conversation: " choices nil t) choices)))))
  (let* ((conversation (plist-get (openrouter-request :openrouter/conversations/get
                                                      `(:conversationId ,id))
                                  :conversation))
         (buffer (get-buffer-create (format "*openrouter-conversation %s*" id))))
    (with-current-buffer buffer
      (let ((inhibit-read-only t))
        (erase-buffer)
        (insert (openrouter-conversation-markdown conversation))
        (goto-char (point-min)))
      (if (fboundp 'markdown-mode) (markdown-mode) (text-mode))
      (setq buffer-read-only t))
    (setq openrouter-conversation-id id)
    (when (called-interactively-p 'any) (pop-to-buffer buffer))
    buffer))

(defun openrouter-cancel ()
  "Cancel the running chat: the server closes the upstream stream at once."
  (interactive)
  (when openrouter--active
    (jsonrpc-notify (car openrouter--active) :$/cancelRequest
                    `(:id ,(cadr openrouter--active)))))

(provide 'openrouter)
;;; openrouter.el ends here
