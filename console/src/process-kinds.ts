// The kinds of process, their names, their steps and the decisions each step takes, as the API declares them
// (GET /api/process-kinds, from processes/<kind>.ts): asked once per tab, before the first signed-in page shows
// (router.ts), and shared by every page that names, filters or decides a process.
import { computed, shallowRef } from 'vue';
import { getProcessKinds, type ProcessKinds } from './api/processes';

type Kind = ProcessKinds['kinds'][number];
type Names = Kind['names'];

const kinds = shallowRef<readonly Kind[]>([]);
let asked: Promise<void> | null = null;

/** Asks once; a failure leaves the names to their fallbacks and lets the next page ask again. */
export function loadProcessKinds(): Promise<void> {
  asked ??= getProcessKinds().then(
    (r) => {
      kinds.value = r.kinds;
    },
    () => {
      asked = null;
    },
  );
  return asked;
}

function kindOf(kind: string): Kind | undefined {
  return kinds.value.find((k) => k.kind === kind);
}

/** A kind's name in the locale (undefined until the kinds are loaded, or for a kind the API does not declare). */
export function kindName(kind: string, locale: keyof Names): string | undefined {
  return kindOf(kind)?.names[locale];
}

/** A step's name in the locale, by kind and step. */
export function stepName(kind: string, step: string, locale: keyof Names): string | undefined {
  return kindOf(kind)?.steps.find((s) => s.step === step)?.names[locale];
}

export function useProcessKinds() {
  void loadProcessKinds();
  return {
    /** The kinds, in the API's order. */
    kinds: computed(() => kinds.value.map((k) => k.kind)),
    /** A kind's steps, in its declaration's order (none for an unknown kind). */
    stepsOf: (kind: string): string[] => kindOf(kind)?.steps.map((s) => s.step) ?? [],
  };
}
