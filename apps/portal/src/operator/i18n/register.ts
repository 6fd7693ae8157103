import i18n from '../../i18n';
import en from './en.json';
import vi from './vi.json';

export const OPERATOR_NS = 'operator';
export const operatorResources = { vi, en } as const;

/** Adds the operator texts to the portal's i18next instance once (the shell owns the instance and its init). */
export function registerOperatorTexts(): void {
  for (const [lng, bundle] of Object.entries(operatorResources)) {
    if (!i18n.hasResourceBundle(lng, OPERATOR_NS)) i18n.addResourceBundle(lng, OPERATOR_NS, bundle, true, false);
  }
}
