"""wfops_examples.greet: a python-script action that returns a greeting."""

from st2common.runners.base_action import Action


class GreetAction(Action):
    def run(self, name):
        return {"greeting": "Hello, %s!" % name}
