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
