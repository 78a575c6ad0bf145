// Native Telegram controls as React hooks. In the local mock they do nothing and pages render their own
// in-page fallbacks (see components/MainAction and components/PageHeader).
import { backButton, hapticFeedback, mainButton } from '@telegram-apps/sdk-react';
import { useEffect, useRef } from 'react';
import { isTelegramMocked } from './environment';

/** True when the native MainButton/BackButton are really shown by a Telegram client. */
export function hasNativeControls(): boolean {
  return !isTelegramMocked() && mainButton.setParams.isAvailable();
}

/** Shows Telegram's BackButton while the calling page is mounted. */
export function useBackButton(onBack: () => void): void {
  const ref = useRef(onBack);
  ref.current = onBack;
  useEffect(() => {
    if (!backButton.show.isAvailable()) return;
    backButton.show();
    const off = backButton.onClick(() => ref.current());
    return () => {
      off();
      backButton.hide.ifAvailable();
    };
  }, []);
}

export interface MainButtonOptions {
  text: string;
  onClick: () => void;
  enabled?: boolean;
  loading?: boolean;
  visible?: boolean;
}

/** Drives Telegram's MainButton with a page's main action. */
export function useNativeMainButton(o: MainButtonOptions): void {
  const click = useRef(o.onClick);
  click.current = o.onClick;
  const native = hasNativeControls();
  useEffect(() => {
    if (!native) return;
    const off = mainButton.onClick(() => click.current());
    return () => {
      off();
      mainButton.setParams.ifAvailable({ isVisible: false });
    };
  }, [native]);
  useEffect(() => {
    if (!native) return;
    mainButton.setParams.ifAvailable({
      text: o.text,
      isVisible: o.visible ?? true,
      isEnabled: (o.enabled ?? true) && !o.loading,
      isLoaderVisible: o.loading ?? false,
    });
  }, [native, o.text, o.visible, o.enabled, o.loading]);
}

/** Haptic feedback on a finished action; silently nothing outside Telegram. */
export function haptic(kind: 'success' | 'error' | 'warning'): void {
  hapticFeedback.notificationOccurred.ifAvailable(kind);
}
