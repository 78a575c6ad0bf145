// A page's main action: Telegram's native MainButton inside Telegram; an in-page button at the bottom
// elsewhere (the local mock, Playwright): a full-width button in place, with the same label, state and test id.
import { hasNativeControls, type MainButtonOptions, useNativeMainButton } from '../telegram/ui';
import { Button } from './ui';

export function MainAction(props: MainButtonOptions & { testId: string }) {
  useNativeMainButton(props);
  if (hasNativeControls() || props.visible === false) return null;
  return (
    <div className="pt-3">
      <Button
        data-testid={props.testId}
        className="w-full"
        onClick={props.onClick}
        disabled={props.enabled === false}
        busy={props.loading}
      >
        {props.text}
      </Button>
    </div>
  );
}
