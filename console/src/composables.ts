// Small composables shared by the pages.
import { onBeforeUnmount, onMounted, ref, type Ref } from 'vue';

/** Whether a media query matches, kept up to date (e.g. the phone layout under 768 px). */
export function useMediaQuery(query: string): Ref<boolean> {
  const matches = ref(false);
  let mql: MediaQueryList | null = null;
  const update = () => {
    matches.value = mql?.matches ?? false;
  };
  if (typeof window !== 'undefined' && window.matchMedia) {
    mql = window.matchMedia(query);
    matches.value = mql.matches;
  }
  onMounted(() => mql?.addEventListener('change', update));
  onBeforeUnmount(() => mql?.removeEventListener('change', update));
  return matches;
}

export const PHONE = '(max-width: 767.98px)';

/** A function that runs `fn` once calls have paused for `ms` (the route preview while the form is filled). */
export function debounce<A extends unknown[]>(fn: (...args: A) => void, ms: number): ((...args: A) => void) & { cancel(): void } {
  let timer: number | undefined;
  const wrapped = (...args: A) => {
    window.clearTimeout(timer);
    timer = window.setTimeout(() => fn(...args), ms);
  };
  wrapped.cancel = () => window.clearTimeout(timer);
  return wrapped;
}

/** A per-submission idempotency key: a retry of the same submission starts nothing twice. */
export function newRequestKey(): string {
  if (typeof crypto !== 'undefined' && 'randomUUID' in crypto) return crypto.randomUUID();
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}
