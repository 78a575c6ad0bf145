// A rig's ask for one model (TON per 1k tokens), with the model's measured speed or why it was refused.
import type { RigView } from '@cocoon/shared';
import { useState } from 'react';
import { errorMessage } from '../../api/errors';
import { useSetAsk } from '../../api/hooks';
import { AmountField } from '../../components/AmountField';
import { parseTonInput, speedText, tonText } from '../../format';
import { haptic } from '../../telegram/ui';

type RigModel = RigView['models'][number];

function ModelNote({ model, error }: { model: RigModel; error: unknown }) {
  if (error) return <span className="text-destructive">{errorMessage(error)}</span>;
  if (model.refused)
    return (
      <span className="text-destructive" data-testid="model-refused">
        Refused: {model.refused}
      </span>
    );
  return (
    <span className="tabular" data-testid="model-speed">
      {model.digest ? `digest ${model.digest} · ` : ''}
      {model.speed ? speedText(model.speed) : ''}
    </span>
  );
}

export function AskEditor({ rig, model }: { rig: RigView; model: RigModel }) {
  const setAsk = useSetAsk();
  const [value, setValue] = useState(tonText(model.priceNanoPer1k, ''));
  const nano = parseTonInput(value);
  const changed = nano !== null && nano.toString() !== model.priceNanoPer1k;
  return (
    <form
      className="py-1.5"
      data-testid={`ask-${model.id}`}
      onSubmit={(e) => {
        e.preventDefault();
        if (nano === null || !changed) return;
        setAsk.mutate(
          { id: rig.id, model: model.id, priceNanoPer1k: nano },
          { onSuccess: () => haptic('success'), onError: () => haptic('error') },
        );
      }}
    >
      <AmountField
        label={`${model.id}${model.demoGrade ? ' (demo grade)' : ''} · TON per 1k tokens`}
        value={value}
        onChange={setValue}
        invalid={nano === null}
        inputTestId="ask-input"
        hint={<ModelNote model={model} error={setAsk.isError ? setAsk.error : null} />}
        action="Set"
        actionTestId="ask-save"
        variant="secondary"
        enabled={changed}
        busy={setAsk.isPending}
      />
    </form>
  );
}
