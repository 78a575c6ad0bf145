// Settings → API keys for the developer gateway and OpenAI-compatible clients. A new key is shown once.
import { useState } from 'react';
import { errorMessage } from '../api/errors';
import { useApiKeys, useCreateApiKey, useRevokeApiKey } from '../api/hooks';
import { CopyBlock } from '../components/CopyBlock';
import { NameForm } from '../components/NameForm';
import { PageHeader } from '../components/PageHeader';
import { QueryView } from '../components/states';
import { Button, Section } from '../components/ui';
import { PROXY_URL } from '../env';
import { shortDate } from '../format';
import { haptic } from '../telegram/ui';

export function SettingsPage() {
  const keysQuery = useApiKeys();
  const create = useCreateApiKey();
  const revoke = useRevokeApiKey();
  const [created, setCreated] = useState<{ name: string; key: string } | null>(null);

  return (
    <>
      <PageHeader title="API keys" parent="/" />
      {created ? (
        <Section
          title={`Key "${created.name}"`}
          testId="api-key-created"
          footer="Shown only once. It spends your balance: keep it secret."
        >
          <CopyBlock label="API key" value={created.key} testId="api-key-secret" />
          <p className="pt-2 text-[13px] text-hint">
            Send it as <code>Authorization: Bearer &lt;key&gt;</code> to {PROXY_URL}, or give it to the Cocoon
            client gateway.
          </p>
          <Button variant="secondary" className="mt-3 w-full" onClick={() => setCreated(null)}>
            I've saved it
          </Button>
        </Section>
      ) : (
        <NameForm
          title="New key"
          label="Name"
          placeholder="e.g. laptop"
          inputTestId="api-key-name"
          actionTestId="create-api-key"
          actionText="Create key"
          mutation={create}
          onCreated={(r) => setCreated({ name: r.name, key: r.key })}
        />
      )}
      <Section title="Your keys" testId="api-keys">
        <QueryView query={keysQuery} rows={2} isEmpty={(d) => d.keys.length === 0} empty="No API keys yet.">
          {(d) => (
            <ul>
              {d.keys.map((k) => (
                <li
                  key={k.id}
                  data-testid="api-key-row"
                  className="flex items-center justify-between gap-2 border-b border-separator py-2 last:border-0"
                >
                  <span className="min-w-0">
                    <span className="block truncate text-[15px]">{k.name}</span>
                    <span className="block truncate font-mono text-[12px] text-hint">
                      {k.prefix}… · {shortDate(k.createdAt)}
                    </span>
                  </span>
                  <Button
                    variant="danger"
                    data-testid="api-key-revoke"
                    busy={revoke.isPending && revoke.variables === k.id}
                    onClick={() => {
                      if (!confirm(`Revoke "${k.name}"? Apps using it stop working.`)) return;
                      revoke.mutate(k.id, {
                        onSuccess: () => haptic('success'),
                        onError: () => haptic('error'),
                      });
                    }}
                  >
                    Revoke
                  </Button>
                </li>
              ))}
            </ul>
          )}
        </QueryView>
        {revoke.isError && (
          <p role="alert" className="pt-2 text-[14px] text-destructive">
            {errorMessage(revoke.error)}
          </p>
        )}
      </Section>
    </>
  );
}
