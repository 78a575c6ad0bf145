// A button that saves one of the proxy's CSV exports (a rig's jobs, the owner's payouts) as a file: fetched
// with the Mini App's own credentials, then handed to the browser as a download.
import { useState } from 'react';
import { useGetClient } from '../api/client';
import { errorMessage } from '../api/errors';
import { Button } from './ui';

export function CsvDownload({
  path,
  filename,
  label,
  testId,
}: {
  path: string;
  filename: string;
  label: string;
  testId?: string;
}) {
  const getClient = useGetClient();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  async function download() {
    setBusy(true);
    setError(null);
    try {
      const csv = await (await getClient()).text(path);
      const url = URL.createObjectURL(new Blob([csv], { type: 'text/csv' }));
      const a = document.createElement('a');
      a.href = url;
      a.download = filename;
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }
  return (
    <span className="inline-flex flex-col">
      <Button variant="secondary" busy={busy} onClick={download} data-testid={testId}>
        {label}
      </Button>
      {error && (
        <span
          className="pt-1 text-[13px] text-destructive"
          data-testid={testId ? `${testId}-error` : undefined}
        >
          {error}
        </span>
      )}
    </span>
  );
}
