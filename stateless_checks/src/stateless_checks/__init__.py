"""Django system checks that find the state a replica keeps to itself: `manage.py check --tag stateless`."""
