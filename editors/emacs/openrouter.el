;;; openrouter.el --- Drive openrouter-lsp through eglot  -*- lexical-binding: t; -*-

;; Works with the eglot shipped in Emacs 29+ and with eglot 1.9+ from ELPA on Emacs 27/28.
;;
;;   (require 'openrouter)                        ; or (load "/path/to/openrouter.el")
;;   (openrouter-eglot-setup '(python-mode text-mode) '(:modelId "openai/gpt-4o"))
;;   M-x eglot                                    ; in a buffer of one of those modes
;;
;; Commands: `openrouter-chat' (streams into *openrouter-chat*), `openrouter-cancel',
;; `openrouter-set-key', `openrouter-models', `openrouter-settings', `openrouter-ask'.
;; Code actions on the region: M-x eglot-code-actions ("OpenRouter: Explain selection", ...).

;;; Code:

(require 'cl-lib)
(require 'eglot)
(require 'jsonrpc)

(defgroup openrouter nil "OpenRouter through openrouter-lsp." :group 'tools)

(defcustom openrouter-server-command '("openrouter-lsp")
  "The command that starts the language server."
  :type '(repeat string))

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

(defun openrouter-models (&optional query)
  "Choose the default model among those matching QUERY; return the list of model plists."
  (interactive (list (read-string "Filter models (empty for all): ")))
  (let* ((result (openrouter-request :openrouter/models/list
                                     (if (and query (not (string-empty-p query)))
                                         `(:query ,query)
                                       eglot--{})))
         (models (append (plist-get result :models) nil)))
    (when (called-interactively-p 'interactive)
      (let ((id (completing-read "OpenRouter model: "
                                 (mapcar (lambda (m) (plist-get m :id)) models) nil t)))
        (openrouter-settings `(:modelId ,id))))
    models))

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
