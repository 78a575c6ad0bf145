// Bottom navigation between the top-level pages; sits above the device's bottom safe area.
import { navigate } from '../router/hash-router';
import { routes } from '../router/routes';

export function TabBar({ current }: { current: string }) {
  return (
    <nav
      aria-label="Sections"
      className="fixed inset-x-0 bottom-0 z-20 border-t border-separator bg-bg pb-[var(--safe-bottom)]"
    >
      <ul className="mx-auto flex h-[var(--tabbar-height)] max-w-xl">
        {routes
          .filter((r) => r.tab)
          .map((r) => {
            const active = r.path === current;
            return (
              <li key={r.path} className="flex-1">
                <a
                  href={`#${r.path}`}
                  data-testid={`tab-${r.tab!.label.toLowerCase()}`}
                  aria-current={active ? 'page' : undefined}
                  onClick={(e) => {
                    e.preventDefault();
                    navigate(r.path);
                  }}
                  className={`flex h-full flex-col items-center justify-center gap-0.5 text-[11px] ${active ? 'text-link' : 'text-hint'}`}
                >
                  <svg
                    viewBox="0 0 24 24"
                    className="size-6"
                    fill="none"
                    stroke="currentColor"
                    strokeWidth="1.8"
                    strokeLinejoin="round"
                    strokeLinecap="round"
                    aria-hidden="true"
                  >
                    <path d={r.tab!.icon} />
                  </svg>
                  {r.tab!.label}
                </a>
              </li>
            );
          })}
      </ul>
    </nav>
  );
}
