;;; test-eglot.el --- Batch end-to-end test of openrouter-lsp in a real Emacs + eglot  -*- lexical-binding: t; -*-

;;   emacs --batch -l editors/emacs/test-eglot.el   (not -Q: Debian loads elpa-eglot from site-start)
;; Environment: OPENROUTER_TEST_PYTHON, OPENROUTER_TEST_KEY, OPENROUTER_TEST_BASE_URL,
;; OPENROUTER_TEST_EVIL_URL, OPENROUTER_TEST_FILE (see editors/nvim/test_nvim.lua).
;; Prints TAP-like lines; exits 0 when all pass.

;;; Code:

(require 'cl-lib)
(require 'package)
(package-initialize)
(load (expand-file-name "openrouter.el" (file-name-directory load-file-name)) nil t)

(defvar test-failures 0)
(defvar test-first-answer "" "The first chat's answer.")
(defvar test-messages nil "What the server showed with window/showMessage.")

(defun test-out (fmt &rest args)
  (princ (concat "\n" (apply #'format fmt args) "\n")))

(defun test-check (name ok &optional detail)
  (if ok
      (test-out "ok %s" name)
    (cl-incf test-failures)
    (test-out "not ok %s -- %s" name (truncate-string-to-width (format "%S" detail) 400)))
  ok)

(defun test-wait (predicate &optional seconds)
  "Process events until PREDICATE is true or SECONDS pass; return its value."
  (let ((deadline (+ (float-time) (or seconds 20))) value)
    (while (and (not (setq value (funcall predicate))) (< (float-time) deadline))
      (accept-process-output nil 0.02))
    value))

(cl-defmethod eglot-handle-notification :before
  (_server (_method (eql window/showMessage)) &key message &allow-other-keys)
  (push message test-messages))

(defun test-env (name) (or (getenv name) (error "%s is not set" name)))

(defun test-all (models key)
  (and models (cl-every (lambda (m) (eq (plist-get m key) t)) models)))

(defun test-choosing-a-model ()
  (dolist (filter '(("free" . :isFree) ("tools" . :supportsTools)
                    ("reasoning" . :supportsReasoning) ("images" . :supportsImages)))
    (test-check (format "models filtered: %s" (car filter))
                (test-all (openrouter-models nil (list (car filter))) (cdr filter))))
  ;; Through the command and its menus: filters, then a reasoning model whose efforts are listed.
  (let* ((reasoner (seq-find (lambda (m) (>= (length (plist-get m :supportedEfforts)) 2))
                             (openrouter-models nil '("reasoning"))))
         (efforts (append (plist-get reasoner :supportedEfforts) nil))
         offered)
    (cl-letf (((symbol-function 'read-string) (lambda (&rest _) (plist-get reasoner :id)))
              ((symbol-function 'completing-read-multiple) (lambda (&rest _) '("reasoning")))
              ((symbol-function 'completing-read)
               (lambda (_prompt labels &rest _)
                 (setq offered (mapcar #'car labels))
                 (seq-find (lambda (l) (string-prefix-p (plist-get reasoner :id) l)) offered))))
      (let ((current-prefix-arg '(4)))
        (call-interactively #'openrouter-models)))
    (test-check "a model chosen from the filtered menu becomes the default"
                (equal (plist-get (openrouter-request :openrouter/settings/get nil) :modelId)
                       (plist-get reasoner :id))
                offered)
    (test-check "the menu describes each model"
                (and offered (string-match-p "reasoning" (car offered))) offered)
    (cl-letf (((symbol-function 'completing-read)
               (lambda (_prompt choices &rest _) (setq offered choices) (car (last choices)))))
      (call-interactively #'openrouter-reasoning-effort))
    (test-check "effort choices are the model's supportedEfforts"
                (equal offered (cons "default" efforts)) (list offered efforts))
    (test-check "the chosen effort is saved"
                (equal (plist-get (openrouter-request :openrouter/settings/get nil) :reasoningEffort)
                       (car (last efforts)))))
  (openrouter-settings '(:modelId "openai/gpt-4o" :reasoningEffort "default"))
  (let* ((asked nil)
         (refused (cl-letf (((symbol-function 'completing-read) (lambda (&rest _) (setq asked t))))
                    (condition-case err (progn (call-interactively #'openrouter-reasoning-effort) nil)
                      (user-error (cadr err))))))
    (test-check "a model that does not reason gets no effort menu"
                (and (not asked) refused (string-match-p "does not reason" refused)) refused)))

(defun test-conversations-and-attachments (first-answer)
  (let* ((id openrouter-conversation-id) offered
         (buffer (cl-letf (((symbol-function 'completing-read)
                            (lambda (_prompt choices &rest _)
                              (setq offered (mapcar #'car choices))
                              (car (rassoc id choices)))))
                   (call-interactively #'openrouter-open-conversation))))
    (test-check "past conversations offered"
                (and offered (string-match-p "Say hello" (car offered))) offered)
    (test-check "a past conversation opens as Markdown in a scratch buffer"
                (with-current-buffer buffer
                  (and buffer-read-only (not buffer-file-name)
                       (string-search "## You\n\nSay hello" (buffer-string))
                       (string-search (substring first-answer 0 30) (buffer-string))))
                (with-current-buffer buffer (buffer-string)))
    (let (done err result)
      (with-current-buffer buffer ; the helpers work from the conversation's buffer too
        (openrouter-chat "And again?" :on-done (lambda (e r) (setq done t err e result r))))
      (test-wait (lambda () done))
      (test-check "the chat continues the opened conversation"
                  (and done (not err) (equal (plist-get result :conversationId) id)) (or err result)))
    (test-check "the server keeps the conversation's history"
                (>= (plist-get (plist-get (openrouter-request :openrouter/conversations/get
                                                              `(:conversationId ,id))
                                          :conversation)
                               :messageCount)
                    4)))
  ;; The region goes with the question as a range attachment.
  (let (done err result sent)
    (set-buffer (get-file-buffer (test-env "OPENROUTER_TEST_FILE")))
    (save-excursion
      (goto-char (point-max))
      (forward-line -1)
      (cl-letf* ((chat (symbol-function 'openrouter-chat))
                 ((symbol-function 'openrouter-chat)
                  (lambda (question &rest keys)
                    (setq sent (plist-get keys :attachments))
                    (apply chat question :on-done (lambda (e r) (setq done t err e result r)) keys))))
        (openrouter-chat-about-region (point) (point-max) "What does this line print?")))
    (test-wait (lambda () done))
    (let ((range (plist-get (car sent) :range)))
      (test-check "the region is attached as a range"
                  (and (= (length sent) 1) (equal (plist-get (car sent) :kind) "range")
                       (string-prefix-p "file://" (plist-get (car sent) :uri))
                       (= (plist-get (plist-get range :start) :line)
                          (1- (count-lines (point-min) (point-max))))
                       (= (plist-get (plist-get range :end) :line) (count-lines (point-min) (point-max))))
                  sent))
    (test-check "a chat with an attached region is answered"
                (and done (not err) (> (length (plist-get result :content)) 0)) err)))

(defun test-signing-in ()
  (let ((before (plist-get (openrouter-request :openrouter/settings/get nil) :apiKey))
        (browse-url-browser-function #'browse-url-xdg-open) ; the system opener (a test browser)
        result)
    (openrouter-sign-in (lambda (r) (setq result r)))
    (test-wait (lambda () result) 30)
    (test-check "sign in with OpenRouter through the browser and the loopback callback"
                (and (equal (plist-get result :outcome) "signed_in")
                     (eq (plist-get (plist-get result :apiKey) :isSet) t))
                result)
    (test-check "the signed-in key replaced the pasted one"
                (not (equal (plist-get (plist-get (openrouter-request :openrouter/settings/get nil)
                                                  :apiKey)
                                       :hint)
                            (plist-get before :hint))))))

(cl-defun test-run ()
  (let* ((evil (test-env "OPENROUTER_TEST_EVIL_URL"))
         (buffer (find-file-noselect (test-env "OPENROUTER_TEST_FILE")))
         (openrouter-server-command (list (test-env "OPENROUTER_TEST_PYTHON") "-m" "openrouter_lsp"))
         server)
    (setq eglot-confirm-server-initiated-edits nil)
    ;; A workspace (here the init options and dir-local style configuration) tries to send
    ;; requests elsewhere: the server must ignore it.
    (openrouter-eglot-setup 'python-mode
                            `(:modelId "openai/gpt-4o" :useCustomBaseUrl t :customBaseUrl ,evil))
    (setq-default eglot-workspace-configuration
                  `((:openrouter . (:routing (:sort "price") :customBaseUrl ,evil))))
    (with-current-buffer buffer
      (python-mode)
      (apply #'eglot (eglot--guess-contact))
      (setq server (test-wait (lambda () (eglot-current-server))))
      (unless (test-check "eglot connected" server) (cl-return-from test-run))
      (test-check "commands advertised"
                  (seq-contains-p (plist-get (plist-get (eglot--capabilities server)
                                                        :executeCommandProvider)
                                             :commands)
                                  "openrouter.ask"))
      (let ((status (openrouter-command "openrouter.setApiKey" (test-env "OPENROUTER_TEST_KEY"))))
        (test-check "set the key with the openrouter.setApiKey command"
                    (eq (plist-get status :isSet) t) status))
      (let ((view (test-wait (lambda ()
                               (let ((v (openrouter-request :openrouter/settings/get nil)))
                                 (and (equal (plist-get (plist-get v :routing) :sort) "price") v)))
                             10)))
        (test-check "settings/get reports the configuration" view)
        (test-check "initializationOptions applied" (equal (plist-get view :modelId) "openai/gpt-4o") view)
        (test-check "workspace settings cannot move the base URL"
                    (equal (plist-get view :effectiveBaseUrl) (test-env "OPENROUTER_TEST_BASE_URL")) view))
      (test-check "the user was told the base URL setting was ignored"
                  (= 1 (cl-count-if (lambda (m) (string-match-p "customBaseUrl" m)) test-messages))
                  test-messages)
      (let ((models (openrouter-models "gpt-4o")))
        (test-check "list models" (and models (string-match-p "gpt-4o" (plist-get (car models) :id)))))
      (let (deltas done err result)
        (openrouter-chat "Say hello" :new t
                         :on-delta (lambda (text) (push text deltas))
                         :on-done (lambda (e r) (setq done t err e result r)))
        (test-wait (lambda () done))
        (test-check "chat answered" (and done (not err) (> (length (plist-get result :content)) 0)) err)
        (setq test-first-answer (plist-get result :content))
        (test-check "chat streamed $/progress increments"
                    (and (>= (length deltas) 2)
                         (equal (apply #'concat (reverse deltas)) (plist-get result :content)))
                    (length deltas))
        (test-check "the chat buffer shows the answer"
                    (with-current-buffer "*openrouter-chat*"
                      (string-search (substring (plist-get result :content) 0 30) (buffer-string)))))
      (let (cancelled done err)
        (openrouter-chat "Write a very long story" :max-tokens 4000
                         :on-delta (lambda (_) (unless cancelled (setq cancelled t) (openrouter-cancel)))
                         :on-done (lambda (e _) (setq done t err e)))
        (test-wait (lambda () done))
        (test-check "cancel a streaming chat ($/cancelRequest)"
                    (and cancelled (eql (plist-get err :code) -32800)) err))
      ;; A code action through eglot's own code path, the menu answered by a stub.
      (let* ((before (buffer-string))
             (actions (eglot-code-actions (point-min)
                                          (save-excursion (goto-char (point-min))
                                                          (forward-line 2) (point))))
             (titles (mapcar (lambda (a) (plist-get a :title)) actions)))
        (test-check "code actions offered" (member "OpenRouter: Explain selection" titles) titles)
        (cl-letf (((symbol-function 'completing-read)
                   (lambda (&rest _) "OpenRouter: Add comments to selection")))
          (let ((last-nonmenu-event 13)) ; a key, not a mouse event: no popup menu
            (eglot--read-execute-code-action actions server)))
        (test-wait (lambda () (not (equal (buffer-string) before))))
        (test-check "code action replaced the selection via workspace/applyEdit"
                    (and (not (equal (buffer-string) before))
                         (string-suffix-p "print(add(1, 2))\n" (buffer-string)))
                    (buffer-string)))
      (let ((answer (openrouter-ask "What is Emacs?")))
        (test-check "ask command answers" (> (length (plist-get answer :content)) 0) answer)
        (test-check "the answer was shown (window/showMessage: no showDocument in eglot 1.9)"
                    (cl-some (lambda (m) (string-search (substring (plist-get answer :content) 0 30) m))
                             test-messages)))
      (test-conversations-and-attachments test-first-answer)
      (test-choosing-a-model)
      (test-signing-in)
      (eglot-shutdown server))))

(condition-case problem
    (test-run)
  (error (test-check "script ran without a Lisp error" nil problem)))
(test-out (if (zerop test-failures) "EMACS TEST PASSED" (format "EMACS TEST FAILED: %d" test-failures)))
(kill-emacs (if (zerop test-failures) 0 1))
