// Theme palettes for running outside Telegram, and the `?theme=dark|light` override used for screenshots.
// Inside Telegram the client sends its own theme params and the SDK binds them as --tg-theme-* CSS variables.

export type ThemeName = 'light' | 'dark';

/** Telegram's default palettes (snake_case keys, as in launch params). */
export const PALETTES: Record<ThemeName, Record<string, `#${string}`>> = {
  light: {
    bg_color: '#ffffff',
    secondary_bg_color: '#efeff4',
    section_bg_color: '#ffffff',
    header_bg_color: '#ffffff',
    bottom_bar_bg_color: '#ffffff',
    text_color: '#000000',
    hint_color: '#8e8e93',
    subtitle_text_color: '#8e8e93',
    link_color: '#2481cc',
    accent_text_color: '#2481cc',
    section_header_text_color: '#6d6d72',
    button_color: '#2481cc',
    button_text_color: '#ffffff',
    destructive_text_color: '#e53935',
    section_separator_color: '#e7e7e7',
  },
  dark: {
    bg_color: '#17212b',
    secondary_bg_color: '#0e1621',
    section_bg_color: '#17212b',
    header_bg_color: '#17212b',
    bottom_bar_bg_color: '#17212b',
    text_color: '#f5f5f5',
    hint_color: '#708499',
    subtitle_text_color: '#708499',
    link_color: '#6ab3f3',
    accent_text_color: '#6ab2f2',
    section_header_text_color: '#6ab3f3',
    button_color: '#5288c1',
    button_text_color: '#ffffff',
    destructive_text_color: '#ec3942',
    section_separator_color: '#0d141c',
  },
};

/** The theme forced by `?theme=dark|light`, if any. */
export function forcedTheme(search: string): ThemeName | null {
  const v = new URLSearchParams(search).get('theme');
  return v === 'dark' || v === 'light' ? v : null;
}

/** The theme to use outside Telegram: the forced one, else the system preference. */
export function fallbackTheme(search: string): ThemeName {
  const forced = forcedTheme(search);
  if (forced) return forced;
  return typeof matchMedia === 'function' && matchMedia('(prefers-color-scheme: dark)').matches
    ? 'dark'
    : 'light';
}

/** Writes a palette as --tg-theme-* variables, the same names the SDK's bindThemeParamsCssVars uses. */
export function applyPalette(
  palette: Record<string, string>,
  root: HTMLElement = document.documentElement,
): void {
  for (const [key, value] of Object.entries(palette)) {
    root.style.setProperty(`--tg-theme-${key.replace(/_/g, '-')}`, value);
  }
}

/** Relative luminance test used to flip the `dark` class (charts and shadows read it). */
export function isDarkColor(hex: string): boolean {
  const m = /^#?([0-9a-f]{6})$/i.exec(hex.trim());
  if (!m) return false;
  const n = Number.parseInt(m[1], 16);
  const [r, g, b] = [(n >> 16) & 255, (n >> 8) & 255, n & 255];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b < 128;
}
