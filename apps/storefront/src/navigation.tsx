import { type MouseEvent, type ReactNode, useEffect, useState } from 'react';
import { parseRoute, type Route } from './routes';

const current = (): Route => parseRoute(window.location.pathname, window.location.search);

/** Goes to `href` without a reload; the page listens through useRoute. */
export function navigate(href: string): void {
  window.history.pushState(null, '', href);
  window.dispatchEvent(new PopStateEvent('popstate'));
  window.scrollTo(0, 0);
}

export function useRoute(): Route {
  const [route, setRoute] = useState(current);
  useEffect(() => {
    const onPop = () => setRoute(current());
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, []);
  return route;
}

/** A real link (open in a new tab works) that navigates in place on a plain click. */
export function Link(props: { href: string; className?: string; children: ReactNode }) {
  const onClick = (event: MouseEvent<HTMLAnchorElement>) => {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) {
      return;
    }
    event.preventDefault();
    navigate(props.href);
  };
  return (
    <a href={props.href} className={props.className} onClick={onClick}>
      {props.children}
    </a>
  );
}
