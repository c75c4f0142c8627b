"""The datastore: StackStorm's key-value pairs on the embedded host's SQLite store.

``naming`` holds StackStorm's rules for scopes and key names (pure), ``crypto`` the
encryption of secret values, ``keystore`` the :class:`~wfops.datastore.keystore.Datastore`
(list / get / set / delete / load with ``st2 key`` semantics, answering StackStorm's
KeyValuePair API shape) and ``load_file`` the files ``wfops key load`` reads.
"""
