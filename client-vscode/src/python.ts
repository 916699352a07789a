/** Which Python runs the server, and with what environment. */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';

export interface PythonChoice { command: string; version: string }

/** The configured interpreter, else python3, else python; each must be 3.10 or newer. */
export function findPython(configured: string): PythonChoice | { error: string } {
  const candidates = configured ? [configured] : process.platform === 'win32' ? ['py', 'python'] : ['python3', 'python'];
  const problems: string[] = [];
  for (const command of candidates) {
    const probe = spawnSync(command, ['-c', 'import sys; print("%d.%d" % sys.version_info[:2])'], { encoding: 'utf8', timeout: 15000 });
    if (probe.error || probe.status !== 0) {
      problems.push(`${command}: ${probe.error?.message ?? probe.stderr.trim() ?? 'failed'}`);
      continue;
    }
    const version = probe.stdout.trim();
    const [major, minor] = version.split('.').map(Number);
    if (major === 3 && (minor ?? 0) >= 10) return { command, version };
    problems.push(`${command} is Python ${version}; 3.10 or newer is needed`);
  }
  return { error: `No usable Python found (${problems.join('; ')}). Set "openrouterLsp.pythonPath".` };
}

/** The bundled server and its pure-Python dependencies go first on PYTHONPATH, when present. */
export function serverEnv(extensionPath: string, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const bundle = join(extensionPath, 'server-bundle');
  const env: NodeJS.ProcessEnv = { ...base, PYTHONUNBUFFERED: '1', PYTHONDONTWRITEBYTECODE: '1' };
  if (existsSync(bundle)) {
    env.PYTHONPATH = base.PYTHONPATH ? `${bundle}${delimiter}${base.PYTHONPATH}` : bundle;
    // A user site-packages could shadow the bundled versions.
    env.PYTHONNOUSERSITE = '1';
  }
  return env;
}
