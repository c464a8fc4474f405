import { GridPage } from './grid-page';
import { useRoute } from './navigation';
import { ProductPage } from './product-page';

export function App() {
  const route = useRoute();
  return (
    <main>
      {route.page === 'grid' ? (
        <GridPage filters={route.filters} />
      ) : (
        <ProductPage key={route.id} id={route.id} />
      )}
    </main>
  );
}
