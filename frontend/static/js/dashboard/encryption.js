// The case's setting for browsers that cannot encrypt sound and picture end to end.
import { api } from '../common/api.js';
import { h } from '../common/dom.js';
import { t } from '../common/i18n.js';

const POLICIES = ['required', 'allowed'];

export function encryptionSection(kase) {
  const status = h('p', { class: 'muted', id: 'encryption-status', role: 'status' });
  async function choose(policy) {
    try {
      await api('POST', `/api/cases/${kase.id}/media-encryption`, { policy });
      kase.media_encryption = policy;
      status.textContent = t('encryption.saved');
    } catch {
      status.textContent = t('encryption.failed');
    }
  }
  return h('section', { class: 'card', id: 'encryption' },
    h('h2', {}, t('encryption.title')),
    h('p', {}, t('encryption.intro')),
    h('fieldset', { class: 'choices' },
      h('legend', {}, t('encryption.question')),
      POLICIES.map((policy) => h('label', { class: 'choice' },
        h('input', { type: 'radio', name: 'media_encryption', value: policy,
          checked: kase.media_encryption === policy, onchange: () => choose(policy) }),
        ' ', t(`encryption.${policy}`)))),
    status);
}
