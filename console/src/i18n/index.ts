// vue-i18n (Composition API mode): zh-CN by default, English as a switch; Element Plus's locale follows (App.vue).
import { createI18n } from 'vue-i18n';
import zhCN from './zh-CN';
import en from './en';
import { kindName, stepName } from '../process-kinds';

export type Locale = 'zh-CN' | 'en';
const KEY = 'tuanwu.locale';

function initialLocale(): Locale {
  try {
    return localStorage.getItem(KEY) === 'en' ? 'en' : 'zh-CN';
  } catch {
    return 'zh-CN';
  }
}

export const i18n = createI18n({
  legacy: false,
  locale: initialLocale(),
  fallbackLocale: 'zh-CN',
  messages: { 'zh-CN': zhCN, en },
  missingWarn: false,
  fallbackWarn: false,
});

export function currentLocale(): Locale {
  return i18n.global.locale.value as Locale;
}

export function setLocale(l: Locale): void {
  i18n.global.locale.value = l;
  document.documentElement.lang = l;
  try {
    localStorage.setItem(KEY, l);
  } catch {
    /* private mode: the choice lasts for this page */
  }
}

document.documentElement.lang = currentLocale();

const { t, te } = i18n.global;

/** A key's message, or the fallback when the key is unknown (an API value the console has no words for yet). */
function translated(key: string, fallback: string): string {
  return te(key) || te(key, 'zh-CN') ? t(key) : fallback;
}

export const label = {
  /** Kinds and steps are named by their declarations (GET /api/process-kinds, process-kinds.ts), in the reader's language. */
  kind: (kind: string) => kindName(kind, currentLocale()) ?? kind,
  /** A step unknown to the declarations falls back to the API's (English) label, then the step's name. */
  step: (kind: string, step: string, apiLabel?: string | null) => stepName(kind, step, currentLocale()) ?? (apiLabel || step),
  action: (action: string) => translated(`actions.${action}`, action),
  status: (status: string) => translated(`statuses.${status}`, status),
  role: (role: string) => translated(`roles.${role}`, role),
  orgKind: (kind: string) => translated(`orgKinds.${kind}`, kind),
};
