// The one-time token panel, shown after a rig is registered or its token rotated.
import { CopyBlock } from '../../components/CopyBlock';
import { Button, Section } from '../../components/ui';
import { PROXY_URL } from '../../env';

/** The token goes in the environment, not on the command line, where `ps` would show it to everyone. */
export function workerCommand(proxyUrl: string, token: string): string {
  return `COCOON_RIG_TOKEN=${token} npm run worker -- --proxy ${proxyUrl}`;
}

/** After "Done" the token is gone from this device for good. */
export function TokenReveal({
  rigName,
  token,
  onDone,
}: {
  rigName: string;
  token: string;
  onDone: () => void;
}) {
  return (
    <Section
      title={`Token for ${rigName}`}
      testId="token-reveal"
      footer="This token is shown only once. Keep it secret: it lets a worker sell as this rig."
    >
      <CopyBlock label="Rig token" value={token} testId="rig-token" />
      <CopyBlock
        label="Start the worker on the rig"
        value={workerCommand(PROXY_URL, token)}
        testId="worker-command"
      />
      <Button variant="secondary" className="mt-3 w-full" data-testid="token-done" onClick={onDone}>
        I've saved it
      </Button>
    </Section>
  );
}
