// Clean shutdown for the long-running processes (`npm start`, `npm run api`, `npm run worker`): on SIGINT or
// SIGTERM every registered stop runs once, in order (newest first), then the process exits.
export class Lifecycle {
  private readonly stops: { what: string; stop: () => Promise<void> }[] = [];
  private stopping: Promise<void> | undefined;

  constructor(private readonly log: (s: string) => void = (s) => console.error(s)) {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void this.exit(0, signal));
  }

  /** Registers a stop; the last registered runs first (the API closes before the database it reads). */
  onStop(what: string, stop: () => Promise<void> | void): void {
    this.stops.unshift({ what, stop: async () => stop() });
  }

  /** Runs every stop (each at most once, errors logged) and exits with `code`. */
  exit(code: number, why = 'stop'): Promise<void> {
    this.stopping ??= (async () => {
      this.log(`stopping (${why})...`);
      for (const { what, stop } of this.stops) {
        try {
          await stop();
        } catch (e) {
          this.log(`stopping ${what} failed: ${e instanceof Error ? e.message : String(e)}`);
        }
      }
      process.exit(code);
    })();
    return this.stopping;
  }

  /** Runs `main`; a start-up failure stops what was started and exits 1. */
  run(main: () => Promise<void>): void {
    main().catch((e) => {
      this.log(e instanceof Error ? (e.stack ?? e.message) : String(e));
      void this.exit(1, 'start-up failed');
    });
  }
}
