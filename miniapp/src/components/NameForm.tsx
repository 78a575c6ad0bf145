// A section with one name field and a main action that creates something by name (a rig, an API key).
import type { UseMutationResult } from '@tanstack/react-query';
import { useState } from 'react';
import { errorMessage } from '../api/errors';
import { haptic } from '../telegram/ui';
import { MainAction } from './MainAction';
import { Section, TextInput } from './ui';

export function NameForm<T>(props: {
  title: string;
  footer?: string;
  label: string;
  placeholder: string;
  inputTestId: string;
  actionTestId: string;
  actionText: string;
  mutation: UseMutationResult<T, unknown, string>;
  onCreated: (result: T) => void;
}) {
  const { mutation } = props;
  const [name, setName] = useState('');
  const valid = name.trim().length > 0 && name.trim().length <= 64;
  function submit() {
    if (!valid) return;
    mutation.mutate(name.trim(), {
      onSuccess: (r) => {
        setName('');
        haptic('success');
        props.onCreated(r);
      },
      onError: () => haptic('error'),
    });
  }
  return (
    <Section title={props.title} footer={props.footer}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          submit();
        }}
      >
        <TextInput
          label={props.label}
          data-testid={props.inputTestId}
          maxLength={64}
          value={name}
          placeholder={props.placeholder}
          onChange={(e) => setName(e.target.value)}
        />
      </form>
      {mutation.isError && (
        <p role="alert" className="pt-2 text-[14px] text-destructive">
          {errorMessage(mutation.error)}
        </p>
      )}
      <MainAction
        testId={props.actionTestId}
        text={props.actionText}
        onClick={submit}
        enabled={valid}
        loading={mutation.isPending}
      />
    </Section>
  );
}
