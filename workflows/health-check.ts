// R21: the daily health check, run by a Schedule (worker/schedules.ts). To be written (issue 13).
export interface HealthCheckInput {
  orgPath?: string;
}

export async function healthCheck(_input: HealthCheckInput = {}): Promise<{ notified: number }> {
  return { notified: 0 };
}
