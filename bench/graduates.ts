// `npm run bench:graduates`: how long a roster of BENCH_GRADUATES graduates (default 10,000) takes to start its
// transfers (R12), through the CLI's importRoster over real HTTP, on a throw-away PostgreSQL and an in-memory
// Temporal dev server; then the same file again (the resume path). Prints a table; saves it under bench/results/.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { bundleWorkflowCode } from '@temporalio/worker';
import { createDb, migrate } from '../db';
import { startThrowawayPostgres } from '../scripts/postgres';
import { startDevServer } from '../scripts/temporal-server';
import { freePort } from '../scripts/net';
import { importRoster, type ChunkTiming, type ImportSummary } from '../scripts/import-graduates/import';
import { workflowsPath } from '../worker/index';
import { failureConverterPath } from '../temporal/codec';
import { actorToken, importOrgs, seedTree, startSystemAt, type System } from '../test/system';
import { withIdCheckDigit } from '../domain/identifiers';
import { summarize } from './stats';

const n = (name: string, d: number) => Number(process.env[name] ?? d);
const SIZE = {
  graduates: n('BENCH_GRADUATES', 10_000),
  schools: 20,
  branchesPerSchool: 5,
  chunk: n('BENCH_GRADUATES_CHUNK', 500),
  concurrency: n('BENCH_GRADUATES_CONCURRENCY', 2),
};
const N = SIZE.graduates;
const log = (s: string) => console.error(`[bench:graduates] ${s}`);
const figures: { figure: string; value: string; detail: Record<string, unknown> }[] = [];

const dir = mkdtempSync(join(tmpdir(), 'tuanwu-bench-graduates-'));
let pg: Awaited<ReturnType<typeof startThrowawayPostgres>> | undefined;
let temporal: Awaited<ReturnType<typeof startDevServer>> | undefined;
let sys: System | undefined;
try {
  const t0 = Date.now();
  const [pgStarted, temporalStarted, bundle] = await Promise.all([
    process.env.DATABASE_URL ? undefined : startThrowawayPostgres(),
    freePort().then((port) => startDevServer({ port })),
    bundleWorkflowCode({ workflowsPath, failureConverterPath, logger: { info() {}, warn() {}, error: console.error, debug() {}, trace() {}, log() {} } }),
  ]);
  pg = pgStarted;
  temporal = temporalStarted;
  const databaseUrl = process.env.DATABASE_URL ?? pg!.url;
  const setup = createDb(databaseUrl, { max: 1 });
  await migrate(setup);
  await setup.destroy();
  const bundlePath = join(dir, 'workflow-bundle.js');
  writeFileSync(bundlePath, bundle.code);
  sys = await startSystemAt({ databaseUrl, temporalAddress: temporal.address, workflowBundlePath: bundlePath });
  await sys.app.listen({ port: 0, host: '127.0.0.1' });
  const apiUrl = `http://127.0.0.1:${(sys.app.server.address() as { port: number }).port}`;
  log(`PostgreSQL, Temporal dev server, worker and API up in ${Date.now() - t0} ms (${apiUrl})`);
  await run(sys, apiUrl);
} catch (e) {
  console.error('bench failed:', e, (e as { cause?: unknown }).cause ?? '');
  process.exitCode = 1;
} finally {
  await sys?.stop();
  await temporal?.stop();
  await pg?.stop();
  rmSync(dir, { recursive: true, force: true });
}
if (process.exitCode !== 1) report();

async function run(s: System, apiUrl: string) {
  const tree = await seedTree(s.app);
  const cities = [
    { id: tree.ids.city1, county: tree.ids.county1, phone: '0755-2000' },
    { id: tree.ids.city2, county: tree.ids.county2, phone: '020-3000' },
  ];
  // Schools alternate between the two cities; each has 5 graduate branches, each city one receiving branch.
  const orgs: Record<string, unknown>[] = [];
  const gradBranches: { id: string; city: number }[] = [];
  for (let sc = 0; sc < SIZE.schools; sc++) {
    const city = sc % cities.length;
    const school = `${cities[city]!.county}-gs${sc}`;
    orgs.push({
      id: school,
      parentId: cities[city]!.county,
      name: `第${sc + 1}中学团委`,
      kind: 'committee',
      contactPhone: `${cities[city]!.phone}${String(sc).padStart(4, '0')}`,
    });
    for (let b = 0; b < SIZE.branchesPerSchool; b++) {
      const id = `${school}-g26-${b}`;
      orgs.push({
        id,
        parentId: school,
        name: `2026届毕业生团支部${b + 1}`,
        kind: 'branch',
        specialKind: 'graduate',
        graduationDate: '2026-06-30',
        contactPhone: `${cities[city]!.phone}${String(sc * 10 + b).padStart(4, '0')}`,
      });
      gradBranches.push({ id, city });
    }
  }
  const destinations = cities.map((c, i) => {
    const id = `${c.county}-dest`;
    orgs.push({ id, parentId: c.county, name: '新单位团支部', kind: 'branch', contactPhone: `${c.phone}999${i}` });
    return id;
  });
  await importOrgs(s.app, orgs);

  // N active graduates, inserted directly: checking each in through the API is not what is measured here.
  const t1 = Date.now();
  const region = String(440100 + Math.floor(Math.random() * 9800)); // another run on the same DATABASE_URL draws other numbers
  const devPrefix = randomUUID().slice(0, 8);
  const graduates: { idNumber: string; city: number }[] = [];
  const born = Date.UTC(2008, 0, 1);
  for (let i = 0; i < N; i += 1000) {
    const batch = [];
    for (let j = i; j < Math.min(N, i + 1000); j++) {
      // Unique by (birth day, sequence): 1,000 a day from 1 Jan 2008.
      const birth = new Date(born + Math.floor(j / 1000) * 86_400_000).toISOString().slice(0, 10).replace(/-/g, '');
      const idNumber = withIdCheckDigit(`${region}${birth}${String(j % 1000).padStart(3, '0')}`);
      const branch = gradBranches[j % gradBranches.length]!;
      graduates.push({ idNumber, city: branch.city });
      batch.push({
        id: randomUUID(),
        name: `毕业生${j}`,
        id_number: idNumber,
        join_date: '2021-05-04',
        development_number: `G${devPrefix}-${j}`,
        branch_id: branch.id,
        status: 'active' as const,
        details: '{}',
        locked_at: new Date(),
        updated_at: new Date(),
      });
    }
    await s.db.insertInto('members').values(batch).execute();
  }
  log(`${gradBranches.length} graduate branches, ${N} active graduates inserted in ${Date.now() - t1} ms`);

  // Each graduate goes to the receiving branch of the other city.
  const file = join(dir, 'roster.csv');
  writeFileSync(file, ['idNumber,toOrgId', ...graduates.map((g) => `${g.idNumber},${destinations[(g.city + 1) % destinations.length]}`)].join('\n') + '\n');
  const token = await actorToken(s.app, 'committee_admin', tree.ids.province, 'bench roster admin');

  const count = async () => {
    const r = await sql<{ processes: number; requested: number }>`select
      (select count(*)::int from processes where kind = 'transfer') as processes,
      (select count(*)::int from events where type = 'transfer.requested') as requested`.execute(s.db);
    return r.rows[0]!;
  };
  const before = await count();

  // (a) The first run: every row answered.
  const first = await timedImport(file, apiUrl, token);
  const a = first.summary;
  if (a.started !== N || a.failed !== 0) {
    const failed = a.rows.filter((r) => r.status === 'failed').slice(0, 5);
    throw new Error(`first run started ${a.started}/${N} (${a.alreadyStarted} already, ${a.failed} failed); first failures: ${JSON.stringify(failed)}`);
  }
  const lat = summarize(first.chunks.map((c) => c.ms));
  const retries = first.chunks.reduce((x, c) => x + c.tries - 1, 0);
  figures.push({
    figure: `(a) first run: ${N} graduates started`,
    value: `${(a.elapsedMs / 1000).toFixed(1)} s, ${a.rowsPerSecond.toFixed(0)} rows/s; ${a.started} started; per chunk p50 ${(lat.p50 / 1000).toFixed(2)} s, p95 ${(lat.p95 / 1000).toFixed(2)} s`,
    detail: {
      n: N,
      wallMs: a.elapsedMs,
      rowsPerSecond: a.rowsPerSecond,
      started: a.started,
      alreadyStarted: a.alreadyStarted,
      failed: a.failed,
      chunks: first.chunks.length,
      chunkRows: SIZE.chunk,
      concurrency: SIZE.concurrency,
      chunkLatencyMs: lat,
      retries,
    },
  });
  log(`first run: ${a.started} started in ${a.elapsedMs} ms`);

  // (b) The roster's rows answer once Temporal accepted each start; the worker records them (read model) as it
  // catches up: the time until PostgreSQL holds every one.
  const atAnswer = await count();
  let after = atAnswer;
  const waitFrom = Date.now();
  while ((after.processes - before.processes < N || after.requested - before.requested < N) && Date.now() - waitFrom < 900_000) {
    await new Promise((r) => setTimeout(r, 500));
    after = await count();
  }
  const recordedMs = a.elapsedMs + (Date.now() - waitFrom);
  const processes = after.processes - before.processes;
  const requested = after.requested - before.requested;
  figures.push({
    figure: '(b) in PostgreSQL after the first run',
    value: `${processes} transfer processes, ${requested} 'transfer.requested' events, all recorded ${(recordedMs / 1000).toFixed(1)} s after the import began (${atAnswer.processes - before.processes} when the last row was answered)`,
    detail: {
      processes,
      requested,
      recordedMs,
      atAnswer: { processes: atAnswer.processes - before.processes, requested: atAnswer.requested - before.requested },
    },
  });
  if (processes !== N || requested !== N)
    throw new Error(`expected ${N} transfer processes and ${N} transfer.requested events, found ${processes} and ${requested}`);

  // (c) The same file again: the resume path starts nothing.
  const second = await timedImport(file, apiUrl, token);
  const c = second.summary;
  const lat2 = summarize(second.chunks.map((x) => x.ms));
  figures.push({
    figure: '(c) second run of the same file (resume)',
    value: `${(c.elapsedMs / 1000).toFixed(1)} s, ${c.rowsPerSecond.toFixed(0)} rows/s; ${c.alreadyStarted} already started, ${c.started} started, ${c.failed} failed; per chunk p50 ${(lat2.p50 / 1000).toFixed(2)} s, p95 ${(lat2.p95 / 1000).toFixed(2)} s`,
    detail: {
      wallMs: c.elapsedMs,
      rowsPerSecond: c.rowsPerSecond,
      started: c.started,
      alreadyStarted: c.alreadyStarted,
      failed: c.failed,
      chunkLatencyMs: lat2,
      sameBatch: c.batch === a.batch,
      sameProcesses: c.rows.every((r, i) => r.processId === a.rows[i]!.processId),
    },
  });
  if (c.alreadyStarted !== N || c.started !== 0)
    throw new Error(`second run: ${c.alreadyStarted}/${N} already started, ${c.started} started again, ${c.failed} failed`);
  const final = await count();
  if (final.processes - before.processes !== N)
    throw new Error(`after the second run: ${final.processes - before.processes} transfer processes, expected ${N}`);
}

async function timedImport(file: string, apiUrl: string, token: string): Promise<{ summary: ImportSummary; chunks: ChunkTiming[] }> {
  const chunks: ChunkTiming[] = [];
  let shown = 0;
  const summary = await importRoster({
    file,
    apiUrl,
    token,
    chunkSize: SIZE.chunk,
    concurrency: SIZE.concurrency,
    onChunk: (c) => chunks.push(c),
    onProgress: (p) => {
      if (p.done === p.total || p.done - shown >= Math.max(1, Math.floor(p.total / 10))) {
        shown = p.done;
        log(`${p.done}/${p.total} rows (${p.started} started, ${p.alreadyStarted} already, ${p.failed} failed) at ${(p.elapsedMs / 1000).toFixed(1)} s`);
      }
    },
  });
  return { summary, chunks };
}

function report() {
  const rows = figures.map((f) => [f.figure, f.value]);
  const widths = [0, 1].map((i) => Math.max(...rows.map((r) => r[i]!.length), ['figure', 'measured'][i]!.length));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ');
  console.log(line(['figure', 'measured']));
  console.log(widths.map((w) => '-'.repeat(w)).join('-|-'));
  for (const r of rows) console.log(line(r));
  mkdirSync(join(import.meta.dirname, 'results'), { recursive: true });
  const out = join(import.meta.dirname, 'results', `graduates-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  const payload = { at: new Date().toISOString(), machine: { cpus: availableParallelism(), node: process.version }, sizes: SIZE, figures };
  writeFileSync(out, `${JSON.stringify(payload, null, 2)}\n`);
  console.log(`saved ${out}`);
}
