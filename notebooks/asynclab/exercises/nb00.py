"""Exercises of notebook 00 (start here), as rules for :func:`asynclab.check.expect`."""

#: Exercise 1: get_ready() waits 0.1 s at an `await`, then returns "ready".
GET_READY = dict(result="ready", waited=0.1,
                 done="get_ready() waited 0.1 s at an `await`, then gave back 'ready'. Correct!")

#: Exercise 2: tea and toast are made at the same time.
TEA_AND_TOAST = dict(result=["tea", "toast"], overlap=2,
                     done="tea and toast were made at the same time: two waits overlapped.")
