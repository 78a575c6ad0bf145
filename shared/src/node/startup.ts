// One way to fail at start-up: print the message (each line prefixed with the program) and exit.
// Exit 2: bad configuration or arguments (the user fixes the command); exit 1: it could not start or keep running.
export const EXIT_BAD_CONFIG = 2;
export const EXIT_FAILED = 1;

/** Prints `program: message` to stderr and exits with `code`. */
export function failStartup(program: string, err: unknown, code: number = EXIT_FAILED): never {
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`${program}: ${message}\n`);
  process.exit(code);
}

/** Runs `load` (a config parser); a throw prints its message and exits 2. */
export function loadOrExit<T>(program: string, load: () => T): T {
  try {
    return load();
  } catch (err) {
    return failStartup(program, err, EXIT_BAD_CONFIG);
  }
}

/** Warns on stderr as `program: warning: message` (config is parsed before any logger exists). */
export function warnStartup(program: string): (message: string) => void {
  return (message) => process.stderr.write(`${program}: warning: ${message}\n`);
}
