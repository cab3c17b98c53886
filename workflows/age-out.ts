// R19: the age-out sweep, run by a Schedule (worker/schedules.ts). To be written (issue 13).
export interface AgeOutInput {
  noticeMs: number;
  orgPath?: string;
}

export async function ageOutSweep(_input: AgeOutInput): Promise<{ noticed: number; agedOut: number }> {
  return { noticed: 0, agedOut: 0 };
}
