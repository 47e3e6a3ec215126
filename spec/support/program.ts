import { existsSync } from 'node:fs';

/**
 * Finds a system program a spec needs. Where it is missing the spec is pending and says so loudly;
 * under CI (`CI=true`) a missing program fails the run instead, so a green CI always ran it.
 */
export function requireProgram(context: Mocha.Context, path: string, installHint: string): void {
  if (existsSync(path)) return;
  const message = `${path} is missing (${installHint}): these specs cannot run`;
  if (process.env['CI'] === 'true') throw new Error(`${message}, and under CI that is a failure`);
  console.warn(`\n  !!! PENDING: ${message}\n`);
  context.skip();
}
