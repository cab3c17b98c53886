// What a figure of `npm run bench` is: one file under bench/figures/ exporting a `Figure`, run with the bench's
// context (one throw-away PostgreSQL, one Temporal dev server, one system, one seeded tree, shared by every figure).
import type { ChildProcess } from 'node:child_process';
import type { Client } from '@temporalio/client';
import type { System, Where } from '../test/system';

/** One row of the table and of bench/results/*.json. */
export interface FigureResult {
  figure: string;
  value: string;
  target: string;
  /** null: reported, no target. */
  met: boolean | null;
  detail: Record<string, unknown>;
}

export interface Figure {
  id: number;
  title: string;
  /** Runs only when BENCH_ONLY names it (its seed is large, or it brings a database of its own). */
  optIn?: boolean;
  run(bench: Bench): Promise<FigureResult[]>;
}

const n = (name: string, d: number) => Number(process.env[name] ?? d);

/** The sizes, from the environment (BENCH_…); they are saved with the results. */
export function benchSizes() {
  return {
    e2e: n('BENCH_E2E_N', 300),
    bulk: n('BENCH_BULK_N', 10_000),
    orgs: n('BENCH_ORGS', 50_000),
    processes: n('BENCH_PROCESSES', 1_000_000),
    open: n('BENCH_OPEN_N', 10_000),
    decisions: n('BENCH_DECISIONS', 1000),
    clients: n('BENCH_CLIENTS', 50),
    /** The figure-4 worker's workflow cache (TUANWU_MAX_CACHED_WORKFLOWS). */
    cache: n('BENCH_CACHE', 500),
    /** The figure-4 worker's V8 heap limit: without one, V8 on a 24 GiB machine lets the heap grow to ~4 GiB. */
    heapMb: n('BENCH_WORKER_HEAP_MB', 512),
    /** Figure 8: members written over the tree's branches, and calls timed per measure. */
    members: n('BENCH_MEMBERS', 1_000_000),
    healthCalls: n('BENCH_HEALTH_CALLS', 100),
    /** Figure 9: progress queries timed per measure. */
    campaignCalls: n('BENCH_CAMPAIGN_CALLS', 100),
  };
}
export type BenchSizes = ReturnType<typeof benchSizes>;

/** A province of BENCH_ORGS organizations (bench/seed.ts): 20 cities, 10 counties each, schools, and branches below them. */
export interface BenchTree {
  orgCount: number;
  branches: { id: string; path: string; parent: string }[];
  cities: string[];
  counties: string[];
  /** A branch secretary's token, of `secBranch`. */
  sec: string;
  secBranch: string;
  /** Committee admins' tokens: each city's, and the first 20 counties'. */
  tokens: { city: string[]; county: string[] };
}

/** A worker of the bare workflows (bench/workflows.ts), in this process, on a task queue of its own. */
export interface BareWorker {
  queue: string;
  stop(): Promise<void>;
}

export interface Bench {
  sizes: BenchSizes;
  log: (s: string) => void;
  /** The API and its worker in this process, on the bench's database and dev server. */
  sys: System;
  client: Client;
  where: Where;
  databaseUrl: string;
  /** The bench's temporary directory (removed at the end). */
  dir: string;
  tree: BenchTree;
  /** Starts `worker/main.ts` in a process of its own polling `taskQueue` (as production runs it). */
  spawnWorker(taskQueue: string, env?: Record<string, string>, nodeArgs?: string[]): ChildProcess;
  /** Resolves once a spawned worker polls. */
  polling(child: ChildProcess): Promise<void>;
  bareWorker(): Promise<BareWorker>;
  /** BENCH_PROCESSES rows in the read model (figures 3 and 7 share them): seeded by the first figure that asks. */
  seedProcesses(): Promise<void>;
}
