"""What every app of Pulih shares and which imports none of them: the exceptions the API renders (`errors.py`),
the in-process domain events (`events.py`: publish / subscribe) and the one firebase-admin app (`firebase_app.py`).

It is an app of its own (not the project package, backend/, which holds settings, URLs and the Celery app and is
imported by no app), so that the apps that share it form no cycle with the project.
"""
