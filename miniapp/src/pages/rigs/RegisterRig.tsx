// Registers a rig by name; its token comes back once (see TokenReveal).
import { useRegisterRig } from '../../api/hooks';
import { NameForm } from '../../components/NameForm';

export function RegisterRig({ onRegistered }: { onRegistered: (name: string, token: string) => void }) {
  return (
    <NameForm
      title="Register a rig"
      footer="Any machine with Node 20 works; a GPU (CUDA) makes it faster."
      label="Rig name"
      placeholder="e.g. basement-4090"
      inputTestId="rig-name"
      actionTestId="register-rig"
      actionText="Register rig"
      mutation={useRegisterRig()}
      onCreated={(r) => onRegistered(r.rig.name, r.token)}
    />
  );
}
