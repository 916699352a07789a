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
(defvar openrouter-history nil "The conversation so far: a list of (:role R :content C).")
(defvar openrouter--active nil "(SERVER ID FINISH) of the running chat.")

(defun openrouter-eglot-setup (modes &optional settings)
  "Use openrouter-lsp as the eglot server of MODES, with SETTINGS (a plist) as init options.
Eglot runs one server per major mode: pick modes no other server needs."
  (add-to-list 'eglot-server-programs
               `(,modes . (,@openrouter-server-command
                           ,@(when settings `(:initializationOptions (:openrouter ,settings)))))))

(defun openrouter--server ()
  (or (eglot-current-server) (user-error "OpenRouter: no eglot server in this buffer (M-x eglot)")))

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

(cl-defun openrouter-chat (question &key on-delta on-done max-tokens new)
  "Ask QUESTION in the running conversation; the answer streams into *openrouter-chat*.
ON-DELTA is called with each increment, ON-DONE with (ERROR RESULT). Returns the request id."
  (interactive "sAsk OpenRouter: ")
  (when new (setq openrouter-history nil))
  (let* ((server (openrouter--server))
         (token (format "openrouter-chat-%d-%d" (emacs-pid) (cl-incf openrouter--counter)))
         (messages (append openrouter-history `((:role "user" :content ,question))))
         (params `(:messages ,(vconcat messages) :partialResultToken ,token
                             ,@(when max-tokens `(:maxTokens ,max-tokens))))
         (finished nil) id)
    (setq openrouter-history messages)
    (openrouter--append (format "\n## You\n\n%s\n\n## Assistant\n\n" question))
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
                  (if err
                      (progn (setq openrouter-history (butlast openrouter-history))
                             (openrouter--append (format "\n\n_%s_\n" (plist-get err :message))))
                    (setq openrouter-history
                          (append openrouter-history
                                  `((:role "assistant" :content ,(plist-get result :content))))))
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

(defun openrouter-cancel ()
  "Cancel the running chat: the server closes the upstream stream at once."
  (interactive)
  (when openrouter--active
    (jsonrpc-notify (car openrouter--active) :$/cancelRequest
                    `(:id ,(cadr openrouter--active)))))

(provide 'openrouter)
;;; openrouter.el ends here
