// Business IDs are workflow IDs: one open process of a kind per member (Temporal refuses a second).
// No zod here: the workflow bundle imports it (through the process declarations).

export function checkInWorkflowId(memberId: string): string {
  return `check-in-${memberId}`;
}

export function transferWorkflowId(memberId: string): string {
  return `transfer-${memberId}`;
}

export function deletionWorkflowId(memberId: string): string {
  return `deletion-${memberId}`;
}

export function disciplineWorkflowId(memberId: string): string {
  return `discipline-${memberId}`;
}

/** R5: one open change review per member. */
export function memberChangeWorkflowId(memberId: string): string {
  return `member-change-${memberId}`;
}

/** R7: one open join-date correction per member. */
export function joinDateWorkflowId(memberId: string): string {
  return `join-date-${memberId}`;
}

/** R22: one campaign per province and year. */
export function campaignWorkflowId(provinceId: string, year: number): string {
  return `campaign-${provinceId}-${year}`;
}

/** R22: a campaign's fan-out over one partition (a child of the province root and its subtree), per operation. */
export function campaignFanOutWorkflowId(campaignWorkflowId: string, op: string, partitionId: string): string {
  return `${campaignWorkflowId}-${op}-${partitionId}`;
}

/** R22: one task per branch and campaign: started at most once, whatever the fan-out retries. */
export function campaignTaskWorkflowId(campaignWorkflowId: string, orgId: string): string {
  return `${campaignWorkflowId}-task-${orgId}`;
}
