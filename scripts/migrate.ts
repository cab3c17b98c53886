// `npm run migrate`: applies the pending migrations to DATABASE_URL, one at a time, each reported (issue 21). Run it
// once before a roll of new API and worker replicas: they refuse to start on an older schema. It runs while the
// province works: no migration holds a lock that stops writes for long (db/migrations/online.ts). Several at once
// are safe: the others wait for the first, then find nothing to do.
import { loadConfig } from '../domain/config';
import { createDb, migrate, schemaStatus } from '../db';

const log = (s: string) => console.error(`[migrate] ${s}`);

const { databaseUrl } = loadConfig();
if (!databaseUrl) {
  log('DATABASE_URL is required: the database to migrate');
  process.exit(2);
}
const db = createDb(databaseUrl, { max: 1 });
try {
  const before = await schemaStatus(db);
  log(`${before.applied.length} migration(s) applied, ${before.pending.length} pending`);
  const done = await migrate(db, {
    onWait: () => log('another process holds the migration lock: waiting for it'),
    onStart: (name) => log(`${name}...`),
    onApplied: (name, ms) => log(`${name} applied in ${(ms / 1000).toFixed(1)} s`),
  });
  log(done.length === 0 ? 'nothing to do: the schema is current' : `${done.length} migration(s) applied: the schema is current`);
} catch (e) {
  log(`failed: ${e instanceof Error ? e.message : String(e)}`);
  log('a migration that failed is not recorded: fix the cause and run `npm run migrate` again (each step may run again)');
  process.exitCode = 1;
} finally {
  await db.destroy();
}
