// The cluster's nine loopback ports: each service's gRPC and membership port, and the frontend's HTTP port.
import { createServer } from 'node:net';

export interface ClusterPorts {
  frontend: number;
  frontendHttp: number;
  frontendMembership: number;
  history: number;
  historyMembership: number;
  matching: number;
  matchingMembership: number;
  worker: number;
  workerMembership: number;
}

/**
 * A port nobody listens on, below Linux's ephemeral range (32768+): the PostgreSQL schema keeps a membership port in
 * a SMALLINT (cluster_membership.rpc_port, at most 32767), and a port outside that range is not taken by some
 * outgoing connection between this check and the server binding it.
 */
async function freeLowPort(taken: Set<number>): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (taken.has(port)) continue;
    const free = await new Promise<boolean>((done) => {
      const s = createServer();
      s.unref();
      s.once('error', () => done(false));
      s.listen(port, '127.0.0.1', () => s.close(() => done(true)));
    });
    if (free) return port;
  }
  throw new Error('no free port found between 20000 and 32000');
}

export async function allocatePorts(given: Partial<ClusterPorts> = {}): Promise<ClusterPorts> {
  const names: (keyof ClusterPorts)[] = [
    'frontend',
    'frontendHttp',
    'frontendMembership',
    'history',
    'historyMembership',
    'matching',
    'matchingMembership',
    'worker',
    'workerMembership',
  ];
  for (const n of names) {
    if (n.endsWith('Membership') && (given[n] ?? 0) > 32_767)
      throw new Error(`${n} port ${given[n]}: membership ports must be below 32768 (PostgreSQL SMALLINT)`);
  }
  const taken = new Set(Object.values(given));
  const ports = { ...given } as ClusterPorts;
  for (const n of names) {
    if (ports[n]) continue;
    ports[n] = await freeLowPort(taken);
    taken.add(ports[n]);
  }
  return ports;
}
