// Shown when the production app is opened in a plain browser: it needs Telegram's signed initData.
export function OutsideTelegram() {
  return (
    <main className="mx-auto flex min-h-screen max-w-sm flex-col items-center justify-center gap-3 p-6 text-center">
      <img src="/icon.svg" alt="" width={64} height={64} />
      <h1 className="text-xl font-bold">Open Cocoon in Telegram</h1>
      <p className="text-hint">
        Cocoon is a Telegram Mini App: it signs you in with Telegram. Open it from the Cocoon bot's menu
        button.
      </p>
    </main>
  );
}
