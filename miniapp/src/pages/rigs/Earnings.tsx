// Earnings by rig, as a bar chart.
import type { RigView } from '@cocoon/shared';
import { Suspense } from 'react';
import { BarChart } from '../../components/lazy-charts';
import { Section, Skeleton } from '../../components/ui';
import { tonText } from '../../format';

export function Earnings({ rigs }: { rigs: RigView[] }) {
  const bars = rigs.map((r) => ({
    label: r.name,
    value: Number(BigInt(r.earningsNano)),
    text: tonText(r.earningsNano),
  }));
  return (
    <Section title="Earnings by rig">
      <Suspense fallback={<Skeleton className="h-10 w-full" />}>
        <BarChart bars={bars} label="Earnings by rig" testId="earnings-chart" />
      </Suspense>
    </Section>
  );
}
