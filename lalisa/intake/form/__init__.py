"""The complaint form: one module per step, :mod:`lalisa.intake.form.flow` runs a turn.

Plain functions over slot values (no Rasa); ``ValidateComplaintForm`` calls
:func:`lalisa.intake.form.flow.advance` once per form turn.
"""
