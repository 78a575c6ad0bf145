// Rigs: register a rig (its token is shown once, with the worker command), watch each rig, set asks,
// pause/resume, rotate or revoke its token. Each card is a file of this folder.
import { useState } from 'react';
import { useRigs } from '../../api/hooks';
import { PageHeader } from '../../components/PageHeader';
import { QueryList } from '../../components/states';
import RigPayout from '../../onchain-accounts/RigPayout';
import { Earnings } from './Earnings';
import { RegisterRig } from './RegisterRig';
import { RigCard } from './RigCard';
import { TokenReveal } from './TokenReveal';

export function RigsPage() {
  const rigs = useRigs();
  const [reveal, setReveal] = useState<{ name: string; token: string } | null>(null);
  const onToken = (name: string, token: string) => setReveal({ name, token });
  return (
    <>
      <PageHeader title="My rigs" />
      {reveal ? (
        <TokenReveal rigName={reveal.name} token={reveal.token} onDone={() => setReveal(null)} />
      ) : (
        <RegisterRig onRegistered={onToken} />
      )}
      <QueryList
        query={rigs}
        rows={4}
        items={(d) => d.rigs}
        empty="No rigs yet. Register one above, then start its worker."
      >
        {(list) => (
          <>
            {list.some((r) => r.earningsNano !== '0') && <Earnings rigs={list} />}
            <RigPayout />
            <div data-testid="rig-list">
              {list.map((r) => (
                <RigCard key={r.id} rig={r} onToken={onToken} />
              ))}
            </div>
          </>
        )}
      </QueryList>
    </>
  );
}
