import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { Product } from '@zocket/contracts';
import { type FormEvent, useState } from 'react';
import { useApi } from '../api/api-context';
import { describeProblem } from '../api/errors';
import { keys } from '../api/queries';
import { formatMoney, minorToMajorText, parseMajorAmount } from '../ui/format';
import { Link, useRouter } from '../ui/router';
import { ErrorState, Loading } from '../ui/states';

interface Draft {
  name: string;
  description: string;
  amount: string;
  currency: string;
  imageUrls: string;
}

const emptyDraft: Draft = { name: '', description: '', amount: '', currency: 'EUR', imageUrls: '' };

const draftOf = (p: Product): Draft => ({
  name: p.name,
  description: p.description,
  amount: minorToMajorText(p.price.amountMinor, p.price.currency),
  currency: p.price.currency,
  imageUrls: '',
});

const problemKind = (error: unknown) => (error === null ? null : describeProblem(error).kind);

/** Field errors from the API are keyed by input path ("price.amountMinor"); shown by field. */
function FieldError(props: { fields: Record<string, string[]>; names: string[] }) {
  const messages = props.names.flatMap((n) => props.fields[n] ?? []);
  if (messages.length === 0) return null;
  return <span className="field-error">{messages.join('; ')}</span>;
}

function ProductForm(props: { product?: Product }) {
  const api = useApi();
  const queryClient = useQueryClient();
  const { navigate } = useRouter();
  const [draft, setDraft] = useState<Draft>(
    props.product === undefined ? emptyDraft : draftOf(props.product),
  );
  const [baseVersion, setBaseVersion] = useState(props.product?.version);
  const [localError, setLocalError] = useState<string | null>(null);
  const set = (field: keyof Draft) => (e: { target: { value: string } }) =>
    setDraft((d) => ({ ...d, [field]: e.target.value }));

  const save = useMutation({
    mutationFn: async (d: Draft) => {
      const currency = d.currency.trim().toUpperCase();
      const amountMinor = parseMajorAmount(d.amount, currency) as number;
      const price = { amountMinor, currency };
      if (props.product === undefined) {
        const imageUrls = d.imageUrls
          .split('\n')
          .map((u) => u.trim())
          .filter((u) => u !== '');
        return api.products.create.mutate({
          name: d.name,
          description: d.description,
          price,
          imageUrls,
        });
      }
      return api.products.update.mutate({
        id: props.product.id,
        expectedVersion: baseVersion as number,
        name: d.name,
        description: d.description,
        price,
      });
    },
    onSuccess: async (product) => {
      queryClient.setQueryData(keys.product(product.id), product);
      await queryClient.invalidateQueries({ queryKey: ['products', 'list'] });
      navigate(`/products/${product.id}`);
    },
  });

  // On a conflict, read what is there now so the user can decide.
  const latest = useQuery({
    queryKey: ['products', 'latest', props.product?.id ?? 'none'],
    queryFn: ({ signal }) => api.products.byId.query({ id: props.product?.id ?? '' }, { signal }),
    enabled: props.product !== undefined && problemKind(save.error) === 'conflict',
    staleTime: 0,
  });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const currency = draft.currency.trim().toUpperCase();
    if (!/^[A-Z]{3}$/.test(currency)) return setLocalError('Currency is a three-letter code.');
    if (parseMajorAmount(draft.amount, currency) === undefined) {
      return setLocalError(`Price is an amount in ${currency}, e.g. 19.99.`);
    }
    setLocalError(null);
    save.mutate(draft);
  };

  const problem = save.isError ? describeProblem(save.error) : null;
  const fields = problem?.fields ?? {};
  const current = latest.data;
  return (
    <form className="product-form card" onSubmit={submit} noValidate>
      {localError === null ? null : (
        <p className="state state-error" role="alert">
          {localError}
        </p>
      )}
      {problem?.kind === 'conflict' ? (
        <div className="state state-error problem-conflict" role="alert">
          <strong>Changed elsewhere</strong>
          <p>
            Someone saved this product after you opened it (you edited version {baseVersion}
            {current === undefined ? '' : `; it is now version ${current.version}`}). Nothing was
            saved.
          </p>
          {current === undefined ? null : (
            <p>
              Now: <strong>{current.name}</strong>, {formatMoney(current.price)}.{' '}
              <button type="button" onClick={() => setDraft(draftOf(current))}>
                Take theirs
              </button>{' '}
              <button
                type="button"
                onClick={() => {
                  setBaseVersion(current.version);
                  save.reset();
                }}
              >
                Keep mine (save over version {current.version})
              </button>
            </p>
          )}
        </div>
      ) : problem !== null ? (
        <ErrorState error={save.error} />
      ) : null}
      <label>
        Name
        <input value={draft.name} onChange={set('name')} required maxLength={200} />
        <FieldError fields={fields} names={['name']} />
      </label>
      <label>
        Description
        <textarea value={draft.description} onChange={set('description')} rows={3} />
        <FieldError fields={fields} names={['description']} />
      </label>
      <div className="row">
        <label className="grow">
          Price
          <input
            value={draft.amount}
            onChange={set('amount')}
            inputMode="decimal"
            placeholder="19.99"
            required
          />
          <FieldError fields={fields} names={['price.amountMinor', 'price']} />
        </label>
        <label>
          Currency
          <input value={draft.currency} onChange={set('currency')} maxLength={3} size={4} />
          <FieldError fields={fields} names={['price.currency']} />
        </label>
      </div>
      {draft.amount !== '' &&
      parseMajorAmount(draft.amount, draft.currency.toUpperCase()) !== undefined ? (
        <p className="muted small">
          Stored as {parseMajorAmount(draft.amount, draft.currency.toUpperCase())?.toLocaleString()}{' '}
          minor units:{' '}
          {formatMoney({
            amountMinor: parseMajorAmount(draft.amount, draft.currency.toUpperCase()) ?? 0,
            currency: draft.currency.toUpperCase(),
          })}
        </p>
      ) : null}
      {props.product === undefined ? (
        <label>
          Image URLs (one per line)
          <textarea
            value={draft.imageUrls}
            onChange={set('imageUrls')}
            rows={3}
            spellCheck={false}
            placeholder="https://example.com/mug.jpg"
          />
          <FieldError
            fields={fields}
            names={Object.keys(fields).filter((f) => f.startsWith('imageUrls'))}
          />
        </label>
      ) : null}
      <div className="actions">
        <button type="submit" className="primary" disabled={save.isPending}>
          {save.isPending ? 'Saving…' : props.product === undefined ? 'Create product' : 'Save'}
        </button>
        <Link to={props.product === undefined ? '/' : `/products/${props.product.id}`}>Cancel</Link>
      </div>
    </form>
  );
}

/** Create a product (no id) or edit one (with optimistic concurrency on its version). */
export function ProductEditPage(props: { id?: string }) {
  const api = useApi();
  const product = useQuery({
    queryKey: keys.product(props.id ?? 'new'),
    queryFn: ({ signal }) => api.products.byId.query({ id: props.id ?? '' }, { signal }),
    enabled: props.id !== undefined,
    // The form edits the version it was opened at; do not swap it underneath the user.
    staleTime: Number.POSITIVE_INFINITY,
  });
  if (props.id === undefined) {
    return (
      <section>
        <h1>New product</h1>
        <ProductForm />
      </section>
    );
  }
  if (product.isPending) return <Loading what="the product" />;
  if (product.isError) return <ErrorState error={product.error} what="the product" />;
  return (
    <section>
      <h1>Edit {product.data.name}</h1>
      <ProductForm key={product.data.id} product={product.data} />
    </section>
  );
}
