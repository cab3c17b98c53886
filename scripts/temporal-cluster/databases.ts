// The cluster's two databases on the PostgreSQL of DATABASE_URL: created and migrated by temporal-sql-tool, and
// cleared of the cluster members an earlier run left behind.
import { execFile } from 'node:child_process';
import { connect } from 'node:net';
import { join } from 'node:path';
import pg from 'pg';
import type { ClusterBinaries } from '../tools';

export const SQL_PLUGIN = 'postgres12';

export interface PgTarget {
  host: string;
  port: number;
  user: string;
  password: string;
  connectDb: string;
  /** Query parameters of the URL (e.g. sslmode), passed to PostgreSQL as connection attributes. */
  attributes: string;
}

export function parseDatabaseUrl(databaseUrl: string): PgTarget {
  const u = new URL(databaseUrl);
  if (!/^postgres(ql)?:$/.test(u.protocol)) throw new Error(`not a PostgreSQL URL: ${u.protocol}//…`);
  if (!u.hostname) throw new Error('the Temporal cluster needs PostgreSQL over TCP: give a host in DATABASE_URL');
  return {
    host: u.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: Number(u.port || 5432),
    user: decodeURIComponent(u.username || process.env.PGUSER || 'postgres'),
    password: decodeURIComponent(u.password || process.env.PGPASSWORD || ''),
    connectDb: decodeURIComponent(u.pathname.replace(/^\//, '')) || 'postgres',
    attributes: u.searchParams.toString(),
  };
}

/** create-database, setup-schema -v 0.0, update-schema: each idempotent, so this also upgrades an older schema. */
export async function setupDatabases(
  bin: ClusterBinaries,
  target: PgTarget,
  databases: { temporal: string; visibility: string },
  log: (s: string) => void,
): Promise<void> {
  // The password travels in the environment, never on a command line.
  const env = { ...process.env, SQL_PASSWORD: target.password };
  const common = ['--plugin', SQL_PLUGIN, '--endpoint', target.host, '--port', String(target.port), '--user', target.user];
  if (target.attributes) common.push('--connect-attributes', target.attributes);
  const run = (db: string, args: string[]) =>
    new Promise<void>((done, fail) => {
      execFile(bin.sqlTool, [...common, '--database', db, ...args], { env, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
        if (!err) return done();
        fail(new Error(`temporal-sql-tool ${args[0]} (${db}) failed (${err.code ?? err.signal}): ${(stdout + stderr).trim().slice(-3000)}`));
      });
    });
  // One CREATE DATABASE at a time (each copies template1), then both schemas at once.
  for (const kind of ['temporal', 'visibility'] as const) await run(databases[kind], ['create-database', '--defaultdb', target.connectDb]);
  await Promise.all(
    (['temporal', 'visibility'] as const).map(async (kind) => {
      const db = databases[kind];
      log(`Temporal cluster: database ${db} (${kind} schema)`);
      await run(db, ['setup-schema', '-v', '0.0']);
      if (bin.schemaDir) await run(db, ['update-schema', '-d', join(bin.schemaDir, kind, 'versioned')]);
      else await run(db, ['update-schema', '--schema-name', `postgresql/v12/${kind}`]);
    }),
  );
}

/**
 * Ringpop bootstraps from the hosts that heartbeated in the last 20 s: after a restart within that time it would try
 * to join the previous process's dead hosts for 30 s (maxJoinDuration) first. Forget members nobody answers at.
 */
export async function pruneDeadMembers(databaseUrl: string, database: string): Promise<number> {
  const url = new URL(databaseUrl);
  url.pathname = `/${encodeURIComponent(database)}`;
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    const { rows } = await client.query<{ host_id: Buffer; rpc_address: string; rpc_port: number }>(
      'SELECT host_id, rpc_address, rpc_port FROM cluster_membership',
    );
    const dead = [];
    for (const row of rows) {
      const alive = await new Promise<boolean>((done) => {
        const socket = connect({ host: row.rpc_address, port: row.rpc_port, timeout: 1_000 });
        socket.once('connect', () => (socket.destroy(), done(true)));
        socket.once('timeout', () => (socket.destroy(), done(false)));
        socket.once('error', () => done(false));
      });
      if (!alive) dead.push(row.host_id);
    }
    if (dead.length > 0) await client.query('DELETE FROM cluster_membership WHERE host_id = ANY($1)', [dead]);
    return dead.length;
  } finally {
    await client.end();
  }
}
