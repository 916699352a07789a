/** Entry point: the server, the chat view, the settings panel, the status bar, the commands. */
import * as vscode from 'vscode';
import { ChatViewProvider } from './chatView';
import { ServerManager } from './server';
import { SettingsPanel } from './settingsPanel';
import { completeSignIn, SIGN_IN_PATH } from './signIn';
import { StatusBar } from './statusBar';
import { SETTINGS_DID_CHANGE, SIGN_IN_DID_FINISH, type ApiKeyStatus, type SignInResult, type ModelsList, type SettingsView } from './wire';

let server: ServerManager | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const output = vscode.window.createOutputChannel('OpenRouter LSP', { log: true });
  server = new ServerManager(context, output);
  const srv = server;
  const status = new StatusBar();
  const chat = new ChatViewProvider(context.extensionUri, srv);

  const refreshStatus = async (): Promise<void> => {
    try {
      status.setSettings((await srv.request('openrouter/settings/get', {})) as SettingsView);
    } catch {
      status.setSettings(undefined);
    }
  };

  context.subscriptions.push(
    output,
    srv,
    status,
    chat,
    vscode.window.registerWebviewViewProvider(ChatViewProvider.viewId, chat, { webviewOptions: { retainContextWhenHidden: true } }),
    srv.onDidChangeState(({ state, detail }) => {
      status.setState(state, detail);
      if (state === 'running') void refreshStatus();
    }),
    srv.onNotification(SETTINGS_DID_CHANGE, (params) => status.setSettings(params as SettingsView)),
    // The browser comes back from OpenRouter's sign-in page to vscode://openrouter-lsp.openrouter-lsp/signin.
    vscode.window.registerUriHandler({
      handleUri: async (uri) => {
        if (uri.path !== SIGN_IN_PATH) return;
        try {
          await completeSignIn((method, params) => srv.request(method, params), uri.query);
        } catch (err) {
          // An exchange OpenRouter refused (-32001) ends the flow: signIn/didFinish reports it.
          if ((err as { code?: unknown }).code !== -32001) void vscode.window.showErrorMessage(`Sign in with OpenRouter failed: ${describe(err)}`);
        }
      },
    }),
    // However a sign-in ends (here, in the loopback, timed out), the user hears how.
    srv.onNotification(SIGN_IN_DID_FINISH, (params) => {
      const result = params as SignInResult;
      if (result.outcome === 'signed_in') void vscode.window.showInformationMessage(result.message);
      else if (result.outcome !== 'cancelled') void vscode.window.showWarningMessage(result.message);
    }),
    vscode.commands.registerCommand('openrouterLsp.openSettings', () => SettingsPanel.show(context.extensionUri, srv)),
    vscode.commands.registerCommand('openrouterLsp.setApiKey', async () => {
      const apiKey = await vscode.window.showInputBox({
        title: 'OpenRouter API Key',
        prompt: 'Paste the key from openrouter.ai/keys. It is kept by the language server, never in VS Code settings.',
        password: true,
        ignoreFocusOut: true,
        placeHolder: 'sk-or-v1-…',
      });
      if (!apiKey) return;
      try {
        const result = (await srv.request('openrouter/apiKey/set', { apiKey: apiKey.trim() })) as ApiKeyStatus;
        void vscode.window.showInformationMessage(`OpenRouter API key saved (${result.hint ?? 'hidden'}).`);
      } catch (err) {
        void vscode.window.showErrorMessage(`The API key was not saved: ${describe(err)}`);
      }
    }),
    vscode.commands.registerCommand('openrouterLsp.refreshModels', () =>
      vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Fetching the OpenRouter model list…' }, async () => {
        try {
          const list = (await srv.request('openrouter/models/list', { refresh: true })) as ModelsList;
          const note = list.stale ? ' (the fetch failed; showing the last good list)' : '';
          void vscode.window.showInformationMessage(`${list.models.length} models available${note}.`);
        } catch (err) {
          void vscode.window.showErrorMessage(`Could not fetch the models: ${describe(err)}`);
        }
      })),
    vscode.commands.registerCommand('openrouterLsp.newChat', async () => {
      await vscode.commands.executeCommand(`${ChatViewProvider.viewId}.focus`);
      chat.newChat();
    }),
    vscode.commands.registerCommand('openrouterLsp.restartServer', async () => {
      await srv.restart();
      void vscode.window.showInformationMessage('OpenRouter language server restarted.');
    }),
    vscode.commands.registerCommand('openrouterLsp.showLog', () => output.show()),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('openrouterLsp.pythonPath') || e.affectsConfiguration('openrouterLsp.serverArgs')) {
        void vscode.window.showInformationMessage('Restart the OpenRouter language server to use the new setting?', 'Restart')
          .then((choice) => { if (choice) void srv.restart(); });
      }
    }),
  );
  await srv.start();
  await refreshStatus();
}

export async function deactivate(): Promise<void> {
  await server?.stop();
}

function describe(err: unknown): string {
  const e = err as { message?: string; data?: { message?: string; errors?: Array<{ path: string; message: string }> } };
  if (e?.data?.errors?.length) return e.data.errors.map((x) => x.message).join(' ');
  return e?.data?.message ?? e?.message ?? String(err);
}
