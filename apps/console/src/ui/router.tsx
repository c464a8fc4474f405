import {
  type AnchorHTMLAttributes,
  createContext,
  type MouseEvent,
  type ReactNode,
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useState,
} from 'react';

/** Where the API serves the console; every page path is relative to it. */
export const BASE = import.meta.env.BASE_URL.replace(/\/$/, '');

interface RouterState {
  /** The path below the base, e.g. "/products/7c0e...". */
  path: string;
  navigate(path: string, options?: { replace?: boolean }): void;
}

const RouterContext = createContext<RouterState | null>(null);

const currentPath = () => {
  const path = window.location.pathname;
  return path.startsWith(BASE) ? path.slice(BASE.length) || '/' : path;
};

/** A tiny history router: the page paths are few and flat. */
export function RouterProvider(props: { children: ReactNode }) {
  const [path, setPath] = useState(currentPath);
  useEffect(() => {
    const onPop = () => setPath(currentPath());
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, []);
  const navigate = useCallback((to: string, options?: { replace?: boolean }) => {
    const url = `${BASE}${to}`;
    if (options?.replace === true) window.history.replaceState(null, '', url);
    else window.history.pushState(null, '', url);
    setPath(currentPath());
    window.scrollTo(0, 0);
  }, []);
  const value = useMemo(() => ({ path, navigate }), [path, navigate]);
  return <RouterContext.Provider value={value}>{props.children}</RouterContext.Provider>;
}

export function useRouter(): RouterState {
  const state = useContext(RouterContext);
  if (state === null) throw new Error('useRouter outside RouterProvider');
  return state;
}

/** An ordinary link (open in a new tab works) that navigates in place on a plain click. */
export function Link(props: { to: string } & AnchorHTMLAttributes<HTMLAnchorElement>) {
  const { to, onClick, ...rest } = props;
  const { navigate, path } = useRouter();
  const handle = (event: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(event);
    if (event.defaultPrevented || event.button !== 0) return;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(to);
  };
  return (
    <a
      href={`${BASE}${to}`}
      aria-current={path === to ? 'page' : undefined}
      onClick={handle}
      {...rest}
    />
  );
}
