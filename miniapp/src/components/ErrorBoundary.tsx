// Catches render errors (and failed lazy-chunk loads) per page, so one broken page doesn't blank the app.
import { Component, type ReactNode } from 'react';
import { ErrorState } from './states';

export class ErrorBoundary extends Component<{ children: ReactNode; resetKey?: string }, { error: unknown }> {
  override state: { error: unknown } = { error: null };

  static getDerivedStateFromError(error: unknown) {
    return { error };
  }

  override componentDidUpdate(prev: { resetKey?: string }) {
    if (prev.resetKey !== this.props.resetKey && this.state.error) this.setState({ error: null });
  }

  override render() {
    if (this.state.error) {
      return (
        <div className="p-4">
          <ErrorState
            error={this.state.error}
            onRetry={() => this.setState({ error: null })}
            testId="page-error"
          />
        </div>
      );
    }
    return this.props.children;
  }
}
