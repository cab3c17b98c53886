// A process-level CPU profile: the share of CPU time each process group used while a figure ran.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

function ticks(pid: number): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return Number(f[11]) + Number(f[12]); // utime + stime
  } catch {
    return 0;
  }
}

function pidsOf(pattern: string): number[] {
  try {
    return execFileSync('pgrep', ['-f', pattern]).toString().trim().split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** Starts sampling; the returned function gives each group's share of the CPU time used, and cores busy. */
export function cpuProfile(groups: Record<string, () => number[]>): () => Record<string, string> {
  const start = Object.fromEntries(Object.entries(groups).map(([g, pids]) => [g, new Map(pids().map((p) => [p, ticks(p)]))]));
  const t0 = Date.now();
  return () => {
    const used: Record<string, number> = {};
    for (const [g, pids] of Object.entries(groups)) {
      used[g] = pids().reduce((sum, p) => sum + ticks(p) - (start[g]!.get(p) ?? 0), 0);
    }
    const total = Object.values(used).reduce((a, b) => a + b, 0) || 1;
    const seconds = (Date.now() - t0) / 1000;
    return Object.fromEntries(Object.entries(used).map(([g, t]) => [g, `${((100 * t) / total).toFixed(0)}% (${(t / 100 / seconds).toFixed(2)} cores)`]));
  };
}

export const byPattern = (pattern: string) => () => pidsOf(pattern);
