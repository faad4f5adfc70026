"""Start-up checks of endpoints.yml's stores, for what Rasa would accept quietly.

* Rasa's own ``lock_store: type: redis`` is refused: with several replicas it loses tickets
  and can hang a conversation (serving/locks.py). The project's class is named instead.
* A store class named by module path must load. For a tracker store Rasa would otherwise
  log a warning and keep the conversations in this process's memory, where they are lost
  at the next restart.
"""

REDIS_LOCK_STORE = "serving.locks.RedisTicketLockStore"


def problems(endpoints_path: str) -> list[str]:
    from rasa.core.utils import AvailableEndpoints
    from rasa.shared.utils.common import class_from_module_path

    try:
        endpoints = AvailableEndpoints.read_endpoints(endpoints_path)
    except Exception:
        return []  # Rasa reads the file next and says what is wrong with it
    found = []
    lock_type = _type(endpoints.lock_store)
    if lock_type and lock_type.lower() == "redis":
        found.append(
            f"{endpoints_path}: lock_store type 'redis' (LOCK_STORE_TYPE) is Rasa's own Redis lock store, which "
            f"loses tickets between replicas and can hang a conversation whose replica died (serving/locks.py). "
            f"Set LOCK_STORE_TYPE={REDIS_LOCK_STORE}."
        )
    for section, store in (("tracker_store", endpoints.tracker_store), ("lock_store", endpoints.lock_store)):
        type_name = _type(store)
        if type_name and "." in type_name:
            try:
                class_from_module_path(type_name)
            except Exception as error:
                found.append(f"{endpoints_path}: {section} type '{type_name}' cannot be loaded ({error}).")
    return found


def _type(store) -> str | None:
    return getattr(store, "type", None) if store is not None else None
