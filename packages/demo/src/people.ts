import type { Presence } from '@switchboard/client';

const KEY = 'switchboard-demo-people';

/**
 * The people list: names signed in from this browser (shared by its tabs
 * through localStorage) and names added by hand, each with its presence.
 */
export class People {
  private readonly presence = new Map<string, Presence>();

  constructor(
    private readonly me: string,
    private readonly list: HTMLElement,
    private readonly actions: (userId: string, presence: Presence | undefined) => HTMLElement[],
  ) {}

  /** Names remembered in this browser, minus mine. */
  static remembered(me: string): string[] {
    return People.load().filter((n) => n !== me);
  }

  /** Adds a name to the browser's list, so other tabs see it. */
  static remember(name: string): void {
    const names = People.load();
    if (!names.includes(name)) localStorage.setItem(KEY, JSON.stringify([...names, name].slice(-50)));
  }

  static onRemembered(listener: (names: string[]) => void): void {
    window.addEventListener('storage', (e) => {
      if (e.key === KEY) listener(People.load());
    });
  }

  private static load(): string[] {
    try {
      const parsed: unknown = JSON.parse(localStorage.getItem(KEY) ?? '[]');
      return Array.isArray(parsed) ? parsed.filter((x): x is string => typeof x === 'string') : [];
    } catch {
      return [];
    }
  }

  has(userId: string): boolean {
    return this.presence.has(userId) || userId === this.me;
  }

  update(p: Presence): void {
    if (p.userId === this.me) return;
    this.presence.set(p.userId, p);
    this.render();
  }

  render(): void {
    const rows = [...this.presence.values()].sort(
      (a, b) => Number(b.status === 'online') - Number(a.status === 'online') || a.userId.localeCompare(b.userId),
    );
    this.list.replaceChildren(
      ...rows.map((p) => {
        const li = document.createElement('li');
        li.dataset.user = p.userId;
        const dot = document.createElement('span');
        dot.className = `dot ${p.inCall ? 'in-call' : p.status}`;
        const name = document.createElement('span');
        name.className = 'contact-name';
        name.textContent = p.userId;
        const status = document.createElement('span');
        status.className = 'muted contact-status';
        status.textContent = p.inCall ? 'in a call' : p.status;
        li.append(dot, name, status, ...this.actions(p.userId, p));
        return li;
      }),
    );
  }
}
