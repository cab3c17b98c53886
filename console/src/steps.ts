// The steps of each kind of process, for filters (workflows/*.ts declares them; labels are in the i18n files).
export const STEPS: Record<string, string[]> = {
  'check-in': ['branch-review'],
  transfer: ['release', 'awaiting-branch', 'arrival', 'placement', 'peer-arrival', 'arrival-check-in', 'peer-release'],
  deletion: ['city-review', 'province-review', 'branch-recheck'],
  discipline: ['verification', 'talk', 'meeting', 'approval', 'spot-check', 'probation', 'probation-review'],
  'member-change': ['branch-review'],
  'join-date': ['branch-review', 'province-review'],
  // R22: a branch's task in the yearly campaign (workflows/campaign-task.ts).
  campaign: ['evaluation', 'evaluation-review', 'registration', 'registration-check', 'follow-up'],
};

export const KINDS = Object.keys(STEPS);
