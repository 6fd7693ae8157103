import { fireEvent, render, screen } from '@testing-library/react';
import { I18nextProvider } from 'react-i18next';
import { i18n } from '../i18n';
import { Pager } from './Pager';

const renderPager = (props: Parameters<typeof Pager>[0]) =>
  render(
    <I18nextProvider i18n={i18n}>
      <Pager {...props} />
    </I18nextProvider>,
  );

describe('Pager', () => {
  it('is not there when everything fits on the first page', () => {
    renderPager({ page: 1, pageSize: 20, total: 20, onPage: jest.fn() });
    expect(screen.queryByTestId('pager')).toBeNull();
    renderPager({ page: 1, pageSize: 20, hasMore: false, onPage: jest.fn() });
    expect(screen.queryByTestId('pager')).toBeNull();
  });

  it('pages forward and back by the total, and stops at the last page', () => {
    const onPage = jest.fn();
    const { rerender } = renderPager({ page: 1, pageSize: 20, total: 41, onPage });
    expect(screen.getByTestId('pager-prev')).toBeDisabled();
    fireEvent.click(screen.getByTestId('pager-next'));
    expect(onPage).toHaveBeenLastCalledWith(2);
    rerender(
      <I18nextProvider i18n={i18n}>
        <Pager page={3} pageSize={20} total={41} onPage={onPage} />
      </I18nextProvider>,
    );
    expect(screen.getByTestId('pager-next')).toBeDisabled();
    fireEvent.click(screen.getByTestId('pager-prev'));
    expect(onPage).toHaveBeenLastCalledWith(2);
  });

  it('still shows on a later page with nothing more (the way back)', () => {
    renderPager({ page: 2, pageSize: 20, hasMore: false, onPage: jest.fn() });
    expect(screen.getByTestId('pager-prev')).toBeEnabled();
    expect(screen.getByTestId('pager-next')).toBeDisabled();
  });
});
